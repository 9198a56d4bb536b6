// `zoo kill [-s SIGNAL] CONTAINER...`: parsing only.
import { needArgs, parseArgs } from "./args.ts";

export function parseKill(argv: string[]) {
  const { flags, args } = parseArgs("kill", argv, { value: { "-s": "signal", "--signal": "signal" } });
  needArgs("kill", args, 1, "kill [-s SIGNAL] CONTAINER [CONTAINER...]");
  return { containers: args, signal: (flags.signal as string | undefined) ?? "KILL" };
}
