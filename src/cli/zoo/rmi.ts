// `zoo rmi [-f] IMAGE...`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("rmi", argv, ["-f", "--force"], []);
  if (f.args.length === 0) throw new UsageError("rmi: give at least one image (name, NAME@DIGEST or ID)");
  const { removeImages } = await import("../../image/commands.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  for (const l of await removeImages(new Store(defaultStoreRoot()), f.args, f.bools.has("-f") || f.bools.has("--force"))) process.stdout.write(l + "\n");
  return 0;
}
