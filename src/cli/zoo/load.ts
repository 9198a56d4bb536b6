// `zoo load [-i FILE|DIR] [-q]`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("load", argv, ["-q", "--quiet"], ["-i", "--input"]);
  if (f.args.length) throw new UsageError("load: give the archive with -i FILE (or on stdin)");
  const input = f.values.get("-i") ?? f.values.get("--input") ?? "-";
  if (input === "-" && process.stdin.isTTY) throw new UsageError("load: stdin is a terminal: give -i FILE or redirect an archive in");
  const { loadImages } = await import("../../image/archive.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  const quiet = f.bools.has("-q") || f.bools.has("--quiet");
  await loadImages(new Store(defaultStoreRoot()), input, (s) => quiet || process.stdout.write(s + "\n"));
  return 0;
}
