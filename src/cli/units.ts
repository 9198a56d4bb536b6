import { UsageError } from "../util/errors.ts";

const SUFFIX: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m", "1G", "1048576", "64kb" → bytes. */
export function parseMemory(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid memory limit ${flag} "${s}": use bytes or a number with k, m or g (e.g. 512m)`);
  const bytes = Math.floor(Number(m[1]) * SUFFIX[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`invalid memory limit ${flag} "${s}": must be more than 0`);
  if (bytes < 1024 * 1024) throw new UsageError(`memory limit ${flag} "${s}" is too small: the minimum is 1m`);
  return bytes;
}

/** CPU percent of one CPU; up to 100 × the host's CPUs. */
export function parseCpuPercent(s: string, cpus: number, flag: string): number {
  const t = s.trim().replace(/%$/, "");
  const v = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(v > 0)) throw new UsageError(`invalid CPU limit ${flag} "${s}": give a percentage of one CPU above 0 (e.g. 50)`);
  if (v > 100 * cpus) throw new UsageError(`invalid CPU limit ${flag} "${s}": this host has ${cpus} CPUs, so at most ${100 * cpus}`);
  return v;
}

export function parsePositiveInt(s: string, flag: string, what: string): number {
  const t = s.trim();
  const v = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v <= 0) throw new UsageError(`invalid ${what} limit ${flag} "${s}": give a whole number above 0`);
  return v;
}
