// Writes an entry as the seccomp cache writes its filters (src/util/cache-dir.ts):
// the front door never reads half an entry, or one anybody else could have
// written. Best effort: false on any problem.
import { dirname } from "node:path";
import { ownDir, pruneCache, writeWhole } from "../../../util/cache-dir.ts";
import { encodeEntry } from "./encode.ts";
import type { Entry } from "./entry.ts";
import { entryFile } from "./key.ts";

/** More entries than this: the oldest go. */
export const MAX_ENTRIES = 256;

export function writeEntry(file: string, bytes: Uint8Array): boolean {
  const dir = dirname(file);
  if (!ownDir(dir) || !writeWhole(file, bytes)) return false;
  pruneCache(dir, MAX_ENTRIES, MAX_ENTRIES);
  return true;
}

/**
 * What both front ends do once a run ended as it should: the key, the entry
 * built for it, written. Never throws: `say` is told the file, or why none.
 */
export function saveEntry(key: () => Uint8Array | null, build: (key: Uint8Array) => Entry, dir: string, say: (line: string) => void): string | null {
  try {
    const k = key();
    if (k === null) throw new Error("no key");
    const file = entryFile(k, dir);
    if (!writeEntry(file, encodeEntry(build(k)))) throw new Error(`cannot write ${file}`);
    say(`wrote ${file}`);
    return file;
  } catch (e) {
    say(`no entry (${(e as Error).message})`);
    return null;
  }
}
