export interface ExitStatus {
  /** Set when the process exited normally. */
  code: number | null;
  /** Set when a signal killed it. */
  signal: number | null;
}

/** Decodes a raw waitpid(2) status. */
export function decodeWaitStatus(raw: number): ExitStatus {
  const low = raw & 0x7f;
  if (low === 0) return { code: (raw >> 8) & 0xff, signal: null };
  if (low !== 0x7f) return { code: null, signal: low };
  return { code: 128 + ((raw >> 8) & 0xff), signal: null };
}
