// `zoo top CONTAINER [ps OPTIONS]`: parsing only.
import { needArgs } from "./args.ts";

export function parseTop(argv: string[]) {
  needArgs("top", argv, 1, "top CONTAINER [ps OPTIONS]");
  return { container: argv[0]!, psArgs: argv.slice(1) };
}
