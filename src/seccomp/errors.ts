/** Base class so callers can catch every seccomp compilation failure at once. */
export class SeccompError extends Error {
  override name = "SeccompError";
}

/**
 * The profile itself is wrong. `path` points at the offending field in
 * JSON-ish notation (e.g. `syscalls[3].args[0].op`) so the message can be
 * traced back to config.json without guessing.
 */
export class SeccompProfileError extends SeccompError {
  override name = "SeccompProfileError";
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`linux.seccomp${path === "" ? "" : `.${path}`}: ${reason} (got ${describe(value)})`);
  }
}

/** The profile is valid but its filter would exceed the kernel's BPF_MAXINSNS. */
export class SeccompProgramTooLargeError extends SeccompError {
  override name = "SeccompProgramTooLargeError";
  constructor(
    readonly instructions: number,
    readonly limit: number,
  ) {
    super(
      `linux.seccomp: compiled filter needs ${instructions} BPF instructions, more than the kernel limit of ${limit}; ` +
        `merge rules or drop argument conditions`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "undefined";
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
