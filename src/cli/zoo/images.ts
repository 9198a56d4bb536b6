// `zoo images [-q] [--digests] [--no-trunc] [NAME[:TAG]]`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("images", argv, ["-q", "--quiet", "--digests", "--no-trunc", "-a", "--all"], []);
  if (f.args.length > 1) throw new UsageError("images: give at most one NAME[:TAG] to filter by");
  const { listImages } = await import("../../image/commands.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  const opts = { quiet: f.bools.has("-q") || f.bools.has("--quiet"), digests: f.bools.has("--digests"), noTrunc: f.bools.has("--no-trunc"), filter: f.args[0] };
  process.stdout.write(await listImages(new Store(defaultStoreRoot()), opts));
  return 0;
}
