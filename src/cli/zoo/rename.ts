// `zoo rename CONTAINER NEW_NAME`: parsing only.
import { needArgs, parseArgs } from "./args.ts";

export function parseRename(argv: string[]) {
  const { args } = parseArgs("rename", argv, {});
  needArgs("rename", args, 2, "rename CONTAINER NEW_NAME");
  return { container: args[0]!, name: args[1]! };
}
