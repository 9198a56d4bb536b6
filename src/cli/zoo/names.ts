// `zoo wait|pause|unpause|attach CONTAINER...`: commands that take only containers; parsing only.
import { needArgs, parseArgs } from "./args.ts";

/** wait, pause, unpause: containers only. */
export function parseNames(cmd: string, argv: string[]) {
  const { args } = parseArgs(cmd, argv, {});
  needArgs(cmd, args, 1, `${cmd} CONTAINER [CONTAINER...]`);
  return args;
}
