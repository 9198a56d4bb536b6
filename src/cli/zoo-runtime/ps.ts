// `zoo-runtime ps [--format table|json] ID [PS ARGS...]`
import { UsageError } from "../../util/errors.ts";
import { parseFlags, str } from "./flags.ts";

export function parsePs(argv: string[]): { id: string; format: "table" | "json"; psArgs: string[] } {
  const { flags, args } = parseFlags(argv, { value: { format: "format", f: "format" } }, "ps");
  const format = str(flags.format) ?? "table";
  if (format !== "table" && format !== "json") throw new UsageError(`ps: --format ${JSON.stringify(format)}: want table or json`);
  const [id, ...psArgs] = args;
  if (id === undefined) throw new UsageError("ps: expected ID [PS ARGS...], got 0 arguments");
  return { id, format, psArgs };
}
