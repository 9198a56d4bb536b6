// The files zoo keeps to skip work next time (compiled seccomp filters, run
// cache entries): in a directory only we may write, each file written whole
// under a temporary name and renamed, so a reader never sees half of one;
// past a limit the least recently written go. Best effort throughout: a cache
// that cannot be written is only a slower next run.
import { closeSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, constants as fsc, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** `dir` exists (made 0700 if missing), is a real directory, ours, and nobody else may write to it. */
export function ownDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** `bytes` as `file`, mode 0600 exactly (whatever the umask), or false and nothing left behind. */
export function writeWhole(file: string, bytes: Uint8Array): boolean {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex")}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600);
    const n = writeSync(fd, bytes);
    closeSync(fd);
    fd = null;
    if (n !== bytes.length) throw new Error("short write");
    renameSync(tmp, file);
    return true;
  } catch {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    return false;
  }
}

/**
 * Keys include the build, so every rebuild of zoo starts new entries: a
 * directory past `max` files loses its least recently written ones.
 */
export function pruneCache(dir: string, max = 256, keep = 128): void {
  try {
    const names = readdirSync(dir);
    if (names.length <= max) return;
    const aged = names.map((n) => ({ n, t: lstatSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => b.t - a.t);
    for (const { n } of aged.slice(keep)) {
      try {
        unlinkSync(join(dir, n));
      } catch {}
    }
  } catch {}
}
