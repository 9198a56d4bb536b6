// `zoo import FILE|- NAME[:TAG]`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("import", argv, [], []);
  if (f.args.length !== 2) throw new UsageError("import: give a root filesystem tar (or - for stdin) and a NAME[:TAG]");
  const { importRootfs } = await import("../../image/archive.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  process.stdout.write((await importRootfs(new Store(defaultStoreRoot()), f.args[0]!, f.args[1]!)) + "\n");
  return 0;
}
