// `zoo image prune [-f]`: parsing only (-f is accepted: zoo never prompts).
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("image prune", argv, ["-f", "--force"], []);
  if (f.args.length) throw new UsageError("image prune: takes no arguments");
  const { pruneImages } = await import("../../image/commands.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  process.stdout.write(await pruneImages(new Store(defaultStoreRoot())));
  return 0;
}
