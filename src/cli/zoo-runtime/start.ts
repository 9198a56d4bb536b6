// `zoo-runtime start ID` and `zoo-runtime state ID`: just the id.
import { expectArgs, parseFlags } from "./flags.ts";

export function parseIdOnly(argv: string[], where: string): string {
  const { args } = parseFlags(argv, {}, where);
  return expectArgs(args, ["ID"], where)[0]!;
}
