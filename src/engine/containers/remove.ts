import { existsSync, readdirSync, renameSync, rmdirSync } from "node:fs";
import { cgroupDir, detectHierarchies } from "../../cgroups/detect.ts";
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
  removeStrayCgroups(id);
}

/**
 * A start killed after making the container's cgroups and before its monitor
 * existed leaves them empty and unrecorded. They carry the container's name
 * (zoo-<id12>, under our own cgroup, as start makes them): an empty one goes.
 */
function removeStrayCgroups(id: string): void {
  let hierarchies;
  try {
    hierarchies = detectHierarchies();
  } catch {
    return;
  }
  for (const h of hierarchies) {
    const dir = cgroupDir(h, join(h.ownPath, `zoo-${id.slice(0, 12)}`));
    if (!dir) continue;
    try {
      rmdirSync(dir);
    } catch {
      // Not there, or not empty (then it is not stray: leave it).
    }
  }
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
