// `zoo-runtime delete [--force] ID`
import { expectArgs, parseFlags } from "./flags.ts";

export function parseDelete(argv: string[]): { id: string; force: boolean } {
  const { flags, args } = parseFlags(argv, { bool: { force: "force", f: "force" } }, "delete");
  return { id: expectArgs(args, ["ID"], "delete")[0]!, force: flags.force === true };
}
