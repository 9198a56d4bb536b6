// `zoo start [-a] CONTAINER...`: parsing only.
import { needArgs, parseArgs } from "./args.ts";

export function parseStart(argv: string[]) {
  const { flags, args } = parseArgs("start", argv, { bool: { "-a": "attach", "--attach": "attach", "-i": "interactive", "--interactive": "interactive" } });
  needArgs("start", args, 1, "start [-a] CONTAINER [CONTAINER...]");
  return { containers: args, attach: !!flags.attach };
}
