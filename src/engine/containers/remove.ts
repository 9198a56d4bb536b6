import { existsSync } from "node:fs";
import { callerMappings } from "../../runtime/idmap.ts";
import { removeTree } from "../remove.ts";
import type { Containers } from "./store.ts";

/** Removes a container that has ended: its record, upper dir and log. */
export async function removeContainer(cs: Containers, id: string): Promise<void> {
  await cs.storeLocked(async () => {
    if (!existsSync(cs.path(id))) return;
    const rootless = process.geteuid!() !== 0;
    await removeTree(cs.path(id), rootless ? callerMappings() : null);
  });
}
