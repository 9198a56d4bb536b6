// `zoo rm [-f] [-v] CONTAINER...`: parsing only.
import { needArgs, parseArgs } from "./args.ts";

export function parseRm(argv: string[]) {
  const { flags, args } = parseArgs("rm", argv, { bool: { "-f": "force", "--force": "force", "-v": "volumes", "--volumes": "volumes" } });
  needArgs("rm", args, 1, "rm [-f] CONTAINER [CONTAINER...]");
  return { containers: args, force: !!flags.force };
}
