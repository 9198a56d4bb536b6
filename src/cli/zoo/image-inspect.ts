// `zoo image inspect IMAGE...`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("image inspect", argv, [], []);
  if (f.args.length === 0) throw new UsageError("image inspect: give at least one image");
  const { inspectImages } = await import("../../image/commands.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  process.stdout.write(JSON.stringify(await inspectImages(new Store(defaultStoreRoot()), f.args), null, 4) + "\n");
  return 0;
}
