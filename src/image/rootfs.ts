// An image as a container's root: its layers as overlay lowerdirs, a fresh
// upper and work dir per container, and lookups of files in the image
// (/etc/passwd for --user, mount targets) through the layers without
// mounting them.
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { release as osRelease } from "node:os";
import { join } from "node:path";
import { ZooError } from "../util/errors.ts";
import { lgetxattr } from "./sys.ts";
import { hex, type ImageRecord, type Store } from "./store.ts";

export interface ContainerRoot {
  /** Top layer first, as overlayfs wants them. */
  lower: string[];
  upper: string;
  work: string;
}

/** Linux 5.11 lets a user namespace's root mount overlayfs; older kernels refuse it. */
export function overlayInUserNs(release = osRelease()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return !!m && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 11));
}

// The overlay's mount options must fit in a page (with upperdir and workdir);
// long layer paths would cap an image at ~45 layers. Past this length, short
// links stand in for them (as Docker's overlay2 does), which with a store
// path of ~30 characters allows about 90 layers.
function maxLower(store: Store): number {
  const dir = store.containerDir("0".repeat(64)).length;
  // upperdir=DIR/upper,workdir=DIR/work,userxattr and some slack, in 4095 bytes.
  return 4095 - 2 * (dir + 16) - 64;
}

/** The image's layers as overlay lowerdirs, top first (through short links in l/ when many). */
export function lowerDirs(store: Store, image: ImageRecord): string[] {
  const dirs = [...image.layers].reverse().map((l) => store.layerPath(l));
  if (dirs.join(":").length <= maxLower(store)) return dirs;
  const ldir = join(store.root, "l");
  mkdirSync(ldir, { recursive: true, mode: 0o700 });
  const short = [...image.layers].reverse().map((l) => {
    // 8 hex digits, more only if another layer already has them.
    for (let n = 8; n <= 64; n += 8) {
      const link = join(ldir, hex(l).slice(0, n));
      const target = store.layerPath(l);
      try {
        symlinkSync(target, link);
        return link;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        if (readlinkSync(link) === target) return link;
      }
    }
    throw new ZooError(`cannot make a short link for layer ${l}`);
  });
  if (short.join(":").length > maxLower(store)) {
    throw new ZooError(`the image has ${image.layers.length} layers, too many for one overlay mount with the store at ${store.root}: a shorter --root path helps`);
  }
  return short;
}

/** Makes the container's upper and work dirs under `dir` and records which layers it uses. */
export function prepareContainerRoot(store: Store, image: ImageRecord, dir: string): ContainerRoot {
  if (process.geteuid!() !== 0 && !overlayInUserNs()) {
    throw new ZooError(`this kernel (${osRelease()}) cannot mount overlayfs in a user namespace (Linux 5.11 or later can): run zoo as root`);
  }
  const lower = lowerDirs(store, image);
  const upper = join(dir, "upper");
  const work = join(dir, "work");
  mkdirSync(upper, { recursive: true, mode: 0o755 });
  mkdirSync(work, { recursive: true, mode: 0o700 });
  // `zoo image prune` keeps the layers a container still stands on.
  writeFileSync(join(dir, "layers.json"), JSON.stringify(image.layers));
  return { lower, upper, work };
}

type Found = { kind: "file" | "dir" | "symlink" | "other"; path: string } | null;

const isWhiteout = (p: string) => {
  const st = lstatSync(p, { throwIfNoEntry: false });
  return !!st && st.isCharacterDevice() && st.rdev === 0;
};

const isOpaque = (dir: string) => {
  for (const name of ["trusted.overlay.opaque", "user.overlay.opaque"]) {
    const v = lgetxattr(dir, name);
    if (v && v[0] === 0x79) return true;
  }
  return false;
};

/** What the merged view has at `path` (no symlinks followed), looking down the layers. */
export function lookup(lower: string[], path: string): Found {
  const parts = path.split("/").filter(Boolean);
  // Each parent must be a directory in the merged view; an opaque or
  // non-directory parent hides everything below it in lower layers.
  let layers = lower;
  for (let i = 0; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join("/");
    const next: string[] = [];
    let found: Found = null;
    for (const [k, l] of layers.entries()) {
      // A trailing slash on the layer's own root follows a short link (lowerDirs).
      const p = rel === "" ? l + "/" : join(l, rel);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (isWhiteout(p)) break;
      const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other";
      if (!found) found = { kind, path: p };
      if (kind !== "dir") break;
      next.push(l);
      // Opaque hides only lower layers: the bottom one needs no xattr read.
      if (k < layers.length - 1 && isOpaque(p)) break;
    }
    if (i === parts.length || !found) return found;
    if (found.kind !== "dir") return { ...found, kind: found.kind === "symlink" ? "symlink" : "other" };
    layers = next;
  }
  return null;
}

/**
 * Refuses mount targets that go through a symlink in the image: the runtime
 * creates and mounts them before pivot_root, where an image's symlink would
 * point into the host.
 */
export function checkMountTargets(lower: string[], targets: string[]): void {
  for (const t of targets) {
    const parts = t.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const sub = "/" + parts.slice(0, i).join("/");
      const f = lookup(lower, sub);
      if (!f) break;
      if (f.kind === "symlink") throw new ZooError(`the image has a symlink at ${sub}: cannot mount ${t} there`);
      if (f.kind !== "dir" && i < parts.length) throw new ZooError(`the image has a file at ${sub}: cannot mount ${t} below it`);
    }
  }
}

/** The text of a regular file in the image, or null. */
export function readImageFile(lower: string[], path: string): string | null {
  const f = lookup(lower, path);
  if (!f || f.kind !== "file") return null;
  try {
    return readFileSync(f.path, "utf8");
  } catch {
    return null;
  }
}
