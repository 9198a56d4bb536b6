import { existsSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { callerMappings } from "../../runtime/idmap.ts";
import { removeTree } from "../remove.ts";
import type { Containers } from "./store.ts";

const REMOVING = ".removing-";
const maps = () => (process.geteuid!() !== 0 ? callerMappings() : null);

/**
 * Removes a container that has ended: its record, upper dir and log. The
 * directory is renamed away first, so a zoo killed halfway through leaves no
 * half a container, only a directory the next sweep removes.
 */
export async function removeContainer(cs: Containers, id: string): Promise<void> {
  const gone = join(cs.dir, `${REMOVING}${id}`);
  await cs.storeLocked(() => {
    if (existsSync(cs.path(id))) renameSync(cs.path(id), gone);
  });
  await removeTree(gone, maps());
}

/**
 * Under the store lock: what killed commands left. A directory being removed,
 * or one without a config (creation holds the store lock until the config is
 * written, so nobody is still making it).
 */
export async function sweep(cs: Containers): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(cs.dir);
  } catch {
    return;
  }
  const junk = entries.filter((e) => e.startsWith(REMOVING) || (/^[0-9a-f]{64}$/.test(e) && !existsSync(cs.path(e, "config.json"))));
  if (junk.length === 0) return;
  await cs.storeLocked(async () => {
    for (const e of junk) {
      if (!existsSync(join(cs.dir, e)) || existsSync(join(cs.dir, e, "config.json"))) continue;
      await removeTree(join(cs.dir, e), maps());
    }
  });
}
