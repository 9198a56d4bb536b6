// An image as a container's root: its layers as overlay lowerdirs, a fresh
// upper and work dir per container, and lookups of files in the image
// (/etc/passwd for --user, mount targets) through the layers without
// mounting them.
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { release as osRelease } from "node:os";
import { join } from "node:path";
import { ZooError } from "../util/errors.ts";
import { lgetxattr } from "./sys.ts";
import type { ImageRecord, Store } from "./store.ts";

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

/** Makes the container's upper and work dirs under `dir` and records which layers it uses. */
export function prepareContainerRoot(store: Store, image: ImageRecord, dir: string): ContainerRoot {
  if (process.geteuid!() !== 0 && !overlayInUserNs()) {
    throw new ZooError(`this kernel (${osRelease()}) cannot mount overlayfs in a user namespace (Linux 5.11 or later can): run zoo as root`);
  }
  const lower = [...image.layers].reverse().map((l) => store.layerPath(l));
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
    for (const l of layers) {
      const p = join(l, rel);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (isWhiteout(p)) break;
      const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other";
      if (!found) found = { kind, path: p };
      if (kind !== "dir") break;
      next.push(l);
      if (isOpaque(p)) break;
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
