// `zoo port CONTAINER [PRIVATE_PORT[/PROTO]]`: parsing only.
import { needArgs, parseArgs } from "./args.ts";

export function parsePort(argv: string[]) {
  const { args } = parseArgs("port", argv, {});
  needArgs("port", args, 1, "port CONTAINER [PRIVATE_PORT[/PROTO]]");
  return { container: args[0]!, port: args[1] };
}
