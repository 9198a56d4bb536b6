/**
 * Docker-format seccomp profiles (`--security-opt seccomp=FILE`): the OCI
 * `linux.seccomp` object plus Docker's extensions, which are resolved here so
 * the compiler only ever sees plain OCI rules. The extensions are gates
 * (`includes`/`excludes` by caps, arches, minKernel), the old singular
 * `name`, and informational fields (`comment`, `archMap`).
 */
import { release } from "node:os";
import { SeccompProfileError } from "../errors.ts";
import type { LinuxSeccomp, TargetArch } from "../types.ts";

/** Docker's (Go's) arch names for the arches zoo compiles for. */
const GO_ARCH: Record<TargetArch, string> = { x86_64: "amd64", aarch64: "arm64" };

interface Host {
  caps: readonly string[];
  arch: TargetArch;
  /** uname -r; only its leading major.minor counts. */
  kernel?: string;
}

export function resolveDockerProfile(raw: unknown, host: Host): LinuxSeccomp {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SeccompProfileError("", raw, "must be a JSON object");
  const { archMap: _archMap, syscalls, ...rest } = raw as Record<string, unknown>;
  if (syscalls === undefined || syscalls === null) return rest as unknown as LinuxSeccomp;
  if (!Array.isArray(syscalls)) throw new SeccompProfileError("syscalls", syscalls, "must be an array");
  const have = new Set(host.caps.map((c) => c.toUpperCase()));
  const kernel = version(host.kernel ?? release(), "kernel release");
  const out: unknown[] = [];
  syscalls.forEach((s, i) => {
    const path = `syscalls[${i}]`;
    if (typeof s !== "object" || s === null || Array.isArray(s)) throw new SeccompProfileError(path, s, "must be an object");
    const { includes, excludes, comment: _comment, name, ...rule } = s as Record<string, unknown>;
    const inc = gate(includes, `${path}.includes`);
    const exc = gate(excludes, `${path}.excludes`);
    const applies =
      inc.caps.every((c) => have.has(c)) &&
      (inc.arches.length === 0 || inc.arches.includes(GO_ARCH[host.arch])) &&
      (inc.minKernel === null || cmp(kernel, inc.minKernel) >= 0) &&
      !exc.caps.some((c) => have.has(c)) &&
      !exc.arches.includes(GO_ARCH[host.arch]) &&
      !(exc.minKernel !== null && cmp(kernel, exc.minKernel) >= 0);
    if (!applies) return;
    if (name !== undefined) {
      if (typeof name !== "string" || name === "") throw new SeccompProfileError(`${path}.name`, name, "must be a syscall name");
      if (rule.names !== undefined) throw new SeccompProfileError(`${path}.name`, name, "give either name or names, not both");
      rule.names = [name];
    }
    out.push(rule);
  });
  return { ...rest, syscalls: out } as unknown as LinuxSeccomp;
}

function gate(v: unknown, path: string): { caps: string[]; arches: string[]; minKernel: [number, number] | null } {
  if (v === undefined || v === null) return { caps: [], arches: [], minKernel: null };
  if (typeof v !== "object" || Array.isArray(v)) throw new SeccompProfileError(path, v, "must be an object");
  const o = v as Record<string, unknown>;
  const strings = (field: string) => {
    const a = o[field];
    if (a === undefined || a === null) return [];
    if (!Array.isArray(a)) throw new SeccompProfileError(`${path}.${field}`, a, "must be an array of strings");
    return a.map((x, i) => {
      if (typeof x !== "string" || x === "") throw new SeccompProfileError(`${path}.${field}[${i}]`, x, "must be a non-empty string");
      return x;
    });
  };
  const mk = o.minKernel;
  let minKernel: [number, number] | null = null;
  if (mk !== undefined && mk !== null && mk !== "") {
    if (typeof mk !== "string" || !/^\d+\.\d+$/.test(mk)) throw new SeccompProfileError(`${path}.minKernel`, mk, 'must be a kernel version like "4.8"');
    minKernel = version(mk, `${path}.minKernel`);
  }
  return { caps: strings("caps").map((c) => c.toUpperCase()), arches: strings("arches"), minKernel };
}

function version(s: string, what: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(s);
  if (!m) throw new SeccompProfileError(what, s, "not a kernel version");
  return [Number(m[1]), Number(m[2])];
}

const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
