// Writes an entry as the seccomp cache writes its filters: into a directory
// that only we may write, whole under a temporary name and then renamed, so
// the front door never reads half an entry. Best effort: false on any problem.
import { closeSync, fchmodSync, lstatSync, mkdirSync, openSync, renameSync, constants as fsc, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pruneCache } from "../../../seccomp/cache.ts";

/** More entries than this: the oldest go. */
export const MAX_ENTRIES = 256;

export function writeEntry(file: string, bytes: Uint8Array): boolean {
  const dir = dirname(file);
  if (!ownDir(dir)) return false;
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex")}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    // The front door wants 0600 exactly, whatever our umask took away.
    fchmodSync(fd, 0o600);
    const n = writeSync(fd, bytes);
    closeSync(fd);
    fd = null;
    if (n !== bytes.length) throw new Error("short write");
    renameSync(tmp, file);
  } catch {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    return false;
  }
  pruneCache(dir, MAX_ENTRIES, MAX_ENTRIES);
  return true;
}

/** `dir` exists (made 0700 if missing), is a real directory, ours, and nobody else may write to it. */
function ownDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
