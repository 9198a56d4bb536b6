// `zoo tag SOURCE TARGET`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("tag", argv, [], []);
  if (f.args.length !== 2) throw new UsageError("tag: give SOURCE and TARGET, e.g. zoo tag busybox mybox:1");
  const { tagImage } = await import("../../image/commands.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  await tagImage(new Store(defaultStoreRoot()), f.args[0]!, f.args[1]!);
  return 0;
}
