// Writes an entry as the seccomp cache writes its filters (src/util/cache-dir.ts):
// the front door never reads half an entry, or one anybody else could have
// written. Best effort: false on any problem.
import { dirname } from "node:path";
import { ownDir, pruneCache, writeWhole } from "../../../util/cache-dir.ts";

/** More entries than this: the oldest go. */
export const MAX_ENTRIES = 256;

export function writeEntry(file: string, bytes: Uint8Array): boolean {
  const dir = dirname(file);
  if (!ownDir(dir) || !writeWhole(file, bytes)) return false;
  pruneCache(dir, MAX_ENTRIES, MAX_ENTRIES);
  return true;
}
