// IMAGE as `zoo run` names it → an image in the store: the built-in busybox
// is made on first use; anything else missing is pulled, as Docker does.
import { ZooError } from "../util/errors.ts";
import { BUSYBOX_REF } from "./busybox-ref.ts";
import { parseRef, storeKey } from "./ref.ts";
import type { ImageRecord, Store } from "./store.ts";

/** A local image by any name find() takes; the built-in busybox is made when asked for. */
export async function findLocal(store: Store, name: string): Promise<ImageRecord | null> {
  const found = store.find(name);
  if (found) return found;
  try {
    if (storeKey(parseRef(name)) !== BUSYBOX_REF) return null;
  } catch {
    return null;
  }
  await (await import("./busybox.ts")).ensureBusybox(store);
  return store.find(BUSYBOX_REF);
}

export async function imageForRun(store: Store, name: string): Promise<ImageRecord> {
  const found = store.find(name);
  if (found) return found;
  const ref = parseRef(name);
  if (storeKey(ref) === BUSYBOX_REF) {
    await (await import("./busybox.ts")).ensureBusybox(store);
    return store.find(BUSYBOX_REF)!;
  }
  const { pull } = await import("./pull.ts");
  try {
    await pull(store, name, { out: process.stderr });
  } catch (e) {
    throw new ZooError(`image "${name}" not found locally, and pulling it failed: ${(e as Error).message}`);
  }
  const pulled = store.find(name);
  if (!pulled) throw new ZooError(`image "${name}" not found after pulling it`);
  return pulled;
}
