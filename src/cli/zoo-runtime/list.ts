// `zoo-runtime list [--format table|json] [--quiet]`
import { UsageError } from "../../util/errors.ts";
import { expectArgs, parseFlags, str } from "./flags.ts";

export function parseList(argv: string[]): { format: "table" | "json"; quiet: boolean } {
  const { flags, args } = parseFlags(argv, { bool: { quiet: "quiet", q: "quiet" }, value: { format: "format", f: "format" } }, "list");
  expectArgs(args, [], "list");
  const format = str(flags.format) ?? "table";
  if (format !== "table" && format !== "json") throw new UsageError(`list: --format ${JSON.stringify(format)}: want table or json`);
  return { format, quiet: flags.quiet === true };
}
