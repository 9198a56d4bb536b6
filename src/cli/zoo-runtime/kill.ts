// `zoo-runtime kill [--all] ID [SIGNAL]`: SIGNAL as a number or a name, with or without SIG.
import { constants } from "node:os";
import { UsageError } from "../../util/errors.ts";
import { expectArgs, parseFlags } from "./flags.ts";

export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.toUpperCase().startsWith("SIG") ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
    const n = (constants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw new UsageError(`unknown signal ${JSON.stringify(s)}`);
}

export function parseKill(argv: string[]): { id: string; signal: number; all: boolean } {
  const { flags, args } = parseFlags(argv, { bool: { all: "all", a: "all" } }, "kill");
  const [id, sig] = expectArgs(args, ["ID", "SIGNAL"], "kill", 1);
  return { id: id!, signal: parseSignal(sig ?? "SIGTERM"), all: flags.all === true };
}
