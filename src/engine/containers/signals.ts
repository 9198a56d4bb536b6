import { constants as osc } from "node:os";
import { UsageError } from "../../util/errors.ts";

/** KILL, SIGKILL, sigkill or 9 → 9. */
export function signalNumber(sig: string): number {
  const n = Number(sig);
  if (Number.isInteger(n) && n > 0 && n < 65) return n;
  const name = sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const v = (osc.signals as Record<string, number>)[name];
  if (v === undefined) throw new UsageError(`invalid signal "${sig}": give a name such as TERM, SIGKILL or a number`);
  return v;
}
