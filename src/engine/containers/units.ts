import { UsageError } from "../../util/errors.ts";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Docker's sizes: 1024, 10k, 10m, 1g (binary units). */
export function parseBytes(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const mult = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || mult === undefined || Number(m[1]) <= 0) throw new UsageError(`invalid ${what} "${v}": give a size such as 10m, 512k or 1g`);
  return Math.floor(Number(m[1]) * mult);
}
