// `zoo save [-o FILE] IMAGE...`: parsing only.
import { closeSync, openSync, renameSync, rmSync } from "node:fs";
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("save", argv, [], ["-o", "--output", "--format"]);
  if (f.args.length === 0) throw new UsageError("save: give at least one image");
  const format = f.values.get("--format") ?? "oci-archive";
  if (format !== "oci-archive") throw new UsageError(`save: --format ${format}: zoo writes oci-archive (an OCI layout tar, which docker and podman load)`);
  const out = f.values.get("-o") ?? f.values.get("--output");
  if (!out && process.stdout.isTTY) throw new UsageError("save: refusing to write a tar to a terminal: give -o FILE or redirect stdout");
  const { saveImages } = await import("../../image/archive.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  const store = new Store(defaultStoreRoot());
  if (!out) {
    await saveImages(store, f.args, 1);
    return 0;
  }
  // Written beside the target and renamed: a failed save leaves no half file.
  const tmp = `${out}.zoo-tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o644);
  try {
    await saveImages(store, f.args, fd);
    closeSync(fd);
    renameSync(tmp, out);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(tmp, { force: true });
    throw e;
  }
  return 0;
}
