// `zoo inspect [-f FORMAT] CONTAINER...`: parsing only.
import { needArgs, parseArgs } from "./args.ts";

export function parseInspect(argv: string[]) {
  const { flags, args } = parseArgs("inspect", argv, { value: { "-f": "format", "--format": "format", "--type": "type" }, bool: { "-s": "size", "--size": "size" } });
  needArgs("inspect", args, 1, "inspect [-f FORMAT] CONTAINER [CONTAINER...]");
  return { containers: args, format: flags.format as string | undefined };
}
