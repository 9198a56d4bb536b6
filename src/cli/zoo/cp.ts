// `zoo cp CONTAINER:SRC DEST | SRC CONTAINER:DEST`: parsing only.
import type { CpArgs } from "../../engine/containers/cp.ts";
import { needArgs, parseArgs } from "./args.ts";

export function parseCpArgs(argv: string[]): CpArgs {
  const { args } = parseArgs("cp", argv, { bool: { "-a": "archive", "--archive": "archive", "-L": "follow", "--follow-link": "follow" } });
  needArgs("cp", args, 2, "cp CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH");
  return { src: args[0]!, dest: args[1]! };
}
