// Unpacking one layer into its own directory, safely: a layer comes from the
// network and may be hostile. Every entry is checked before it touches the
// disk, nothing is ever written through a symlink, and the first bad entry
// fails the whole layer (the caller throws the directory away).
//
// Whiteouts become what overlayfs reads: `.wh.NAME` a 0/0 character device
// (which the kernel lets anyone create since 5.8), `.wh..wh..opq` the opaque
// attribute on its directory (trusted.* rootful, user.* rootless, matching the
// overlay's userxattr option).
import { createHash } from "node:crypto";
import { closeSync, createReadStream, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, rmSync, symlinkSync, unlinkSync, chmodSync, writeSync, constants as C } from "node:fs";
import { join } from "node:path";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { readTar, TarFormatError, type TarHeader } from "./tar-read.ts";
import { FsCallError, lsetxattr, mknod } from "./sys.ts";

export class HostileLayerError extends Error {}

export interface UnpackOptions {
  /** Rootless: no device nodes, opaque dirs in the user.* namespace, ownership best-effort. */
  rootless: boolean;
  /** Refuse a layer whose files add up to more than this (decompression bombs). */
  maxBytes: number;
}

export const DEFAULT_MAX_LAYER_BYTES = 64 * 1024 ** 3;

export type Compression = "gzip" | "zstd" | "none";

export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

export function fileCompression(path: string): Compression {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(4);
    readSync(fd, head, 0, 4, 0);
    return sniffCompression(head);
  } finally {
    closeSync(fd);
  }
}

/** The layer's uncompressed bytes, hashed on the way (its diff ID). */
export function uncompressed(path: string): { stream: AsyncIterable<Uint8Array>; diffId: () => string } {
  const c = fileCompression(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const s = c === "gzip" ? raw.pipe(createGunzip()) : c === "zstd" ? raw.pipe(createZstdDecompress()) : raw;
  raw.on("error", (e) => s.destroy(e));
  const hash = createHash("sha256");
  let done = false;
  const stream = (async function* () {
    try {
      for await (const chunk of s as AsyncIterable<Buffer>) {
        hash.update(chunk);
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      }
    } catch (e) {
      if (e instanceof TarFormatError || e instanceof HostileLayerError) throw e;
      throw new TarFormatError(`cannot decompress (${c}): ${(e as Error).message}`);
    }
    done = true;
  })();
  return {
    stream,
    diffId: () => {
      if (!done) throw new Error("diffId before the end of the layer");
      return `sha256:${hash.digest("hex")}`;
    },
  };
}

/** "./a//b/" → ["a","b"]; absolute paths and ".." are refused, not cleaned. */
export function layerPath(p: string, what: string): string[] {
  if (p.includes("\0")) throw new HostileLayerError(`${what} "${p}" contains a NUL byte`);
  if (p.startsWith("/")) throw new HostileLayerError(`${what} "${p}" is absolute`);
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw new HostileLayerError(`${what} "${p}" contains ".."`);
  if (p.length > 4096) throw new HostileLayerError(`${what} is longer than 4096 bytes`);
  return parts;
}

const WH = ".wh.";
const OPAQUE = ".wh..wh..opq";

interface DirMeta {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

class Unpacker {
  private safeDirs = new Set<string>([""]);
  private dirs = new Map<string, DirMeta>();
  private total = 0;

  constructor(private root: string, private o: UnpackOptions) {}

  private abs(parts: string[]) {
    return join(this.root, ...parts);
  }

  /** Makes sure every parent of `parts` is a real directory inside the layer (never a symlink). */
  private parents(parts: string[], create: boolean) {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      if (this.safeDirs.has(rel)) continue;
      const p = join(this.root, rel);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) {
        if (!create) throw new HostileLayerError(`link target "${parts.join("/")}" does not exist in the layer`);
        mkdirSync(p, { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        throw new HostileLayerError(`"${parts.join("/")}" would be written through the symlink "${rel}"`);
      } else if (!st.isDirectory()) {
        throw new HostileLayerError(`"${parts.join("/")}" is below "${rel}", which is not a directory`);
      }
      this.safeDirs.add(rel);
    }
  }

  /** Clears the way for a new entry at `p`: a later entry replaces an earlier one. */
  private replace(rel: string, p: string, keepDir: boolean): boolean {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return false;
    if (st.isDirectory()) {
      if (keepDir) return true;
      rmSync(p, { recursive: true, force: true });
      this.safeDirs.clear();
      this.safeDirs.add("");
      for (const k of this.dirs.keys()) if (k === rel || k.startsWith(rel + "/")) this.dirs.delete(k);
    } else unlinkSync(p);
    return false;
  }

  private owner(p: string, h: TarHeader, fd?: number): boolean {
    try {
      if (fd !== undefined) fchownSync(fd, h.uid, h.gid);
      else lchownSync(p, h.uid, h.gid);
      return true;
    } catch (e) {
      // Rootless without an id for this owner: the file stays the caller's,
      // and loses setuid/setgid (it would grant the wrong identity).
      if (!this.o.rootless) throw e;
      return false;
    }
  }

  async entry(h: TarHeader, data: () => AsyncGenerator<Uint8Array>) {
    const parts = layerPath(h.path, "entry");
    if (parts.length === 0) {
      if (h.type === "dir") return; // "./" itself
      throw new HostileLayerError(`entry "${h.path}" has no name`);
    }
    const rel = parts.join("/");
    const base = parts[parts.length - 1]!;
    this.parents(parts, true);
    const p = this.abs(parts);

    if (base.startsWith(WH)) {
      const dirParts = parts.slice(0, -1);
      if (base === OPAQUE) {
        const dir = this.abs(dirParts);
        if (dirParts.length && !lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) mkdirSync(dir, { mode: 0o755 });
        lsetxattr(dir, this.o.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque", new TextEncoder().encode("y"));
        return;
      }
      if (base.startsWith(WH + WH)) return; // aufs metadata, meaningless on overlay
      const name = base.slice(WH.length);
      if (name === "" || name === "." || name === "..") throw new HostileLayerError(`bad whiteout "${h.path}"`);
      const target = this.abs([...dirParts, name]);
      this.replace([...dirParts, name].join("/"), target, false);
      mknod(target, C.S_IFCHR | 0o000, 0, 0);
      return;
    }

    switch (h.type) {
      case "dir": {
        if (!this.replace(rel, p, true)) mkdirSync(p, { mode: 0o700 });
        // Modes last: a read-only directory must still take its children.
        this.dirs.set(rel, { path: p, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime });
        this.safeDirs.add(rel);
        break;
      }
      case "file": {
        this.total += h.size;
        if (this.total > this.o.maxBytes) throw new HostileLayerError(`layer unpacks to more than ${this.o.maxBytes} bytes (ZOO_MAX_LAYER_SIZE)`);
        this.replace(rel, p, false);
        const fd = openSync(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        try {
          for await (const c of data()) {
            let off = 0;
            while (off < c.length) off += writeSync(fd, c, off);
          }
          const owned = this.owner(p, h, fd);
          fchmodSync(fd, owned ? h.mode : h.mode & 0o1777);
          futimesSync(fd, h.mtime, h.mtime);
        } finally {
          closeSync(fd);
        }
        this.xattrs(p, h);
        break;
      }
      case "symlink": {
        // Stored as written: it is resolved inside the container's root, and
        // unpacking never follows it (parents() refuses to write through it).
        if (h.linkname === "" || h.linkname.includes("\0")) throw new HostileLayerError(`symlink "${h.path}" has no target`);
        this.replace(rel, p, false);
        symlinkSync(h.linkname, p);
        this.owner(p, h);
        lutimesSync(p, h.mtime, h.mtime);
        break;
      }
      case "hardlink": {
        const tparts = layerPath(h.linkname, `hard link target of "${h.path}"`);
        if (tparts.length === 0) throw new HostileLayerError(`hard link "${h.path}" has no target`);
        this.parents(tparts, false);
        const target = this.abs(tparts);
        const st = lstatSync(target, { throwIfNoEntry: false });
        if (!st) throw new HostileLayerError(`hard link "${h.path}" points to "${h.linkname}", which is not in the layer`);
        if (st.isDirectory()) throw new HostileLayerError(`hard link "${h.path}" points to a directory`);
        if (target === p) break;
        this.replace(rel, p, false);
        linkSync(target, p);
        break;
      }
      case "char":
      case "block":
      case "fifo": {
        if (h.type !== "fifo" && this.o.rootless) throw new HostileLayerError(`device node "${h.path}" cannot be created rootless`);
        this.replace(rel, p, false);
        const kind = h.type === "fifo" ? C.S_IFIFO : h.type === "char" ? C.S_IFCHR : C.S_IFBLK;
        mknod(p, kind | (h.mode & 0o777), h.devmajor, h.devminor);
        const owned = this.owner(p, h);
        chmodSync(p, owned ? h.mode : h.mode & 0o1777);
        lutimesSync(p, h.mtime, h.mtime);
        break;
      }
    }
  }

  private xattrs(p: string, h: TarHeader) {
    for (const [name, value] of Object.entries(h.xattrs)) {
      // File capabilities are what images rely on (ping); overlay's own
      // attributes would let a layer forge whiteouts or redirects.
      if (name !== "security.capability") continue;
      try {
        lsetxattr(p, name, value);
      } catch (e) {
        if (!this.o.rootless) throw e;
      }
    }
  }

  finish() {
    const dirs = [...this.dirs.values()].sort((a, b) => b.path.length - a.path.length);
    for (const d of dirs) {
      let owned = false;
      try {
        lchownSync(d.path, d.uid, d.gid);
        owned = true;
      } catch (e) {
        if (!this.o.rootless) throw e;
      }
      chmodSync(d.path, owned ? d.mode : d.mode & 0o1777);
      lutimesSync(d.path, d.mtime, d.mtime);
    }
  }
}

/**
 * Unpacks the layer blob at `blob` (gzip, zstd or plain tar, found by its
 * magic bytes) into the empty directory `dest`; returns its diff ID.
 */
export async function unpackLayer(blob: string, dest: string, o: UnpackOptions): Promise<string> {
  const src = uncompressed(blob);
  const u = new Unpacker(dest, o);
  try {
    for await (const e of readTar(src.stream)) await u.entry(e.header, e.data);
    // Whatever follows the end marker still belongs to the digest.
    for await (const _ of src.stream);
    u.finish();
  } catch (e) {
    if (e instanceof FsCallError) throw new HostileLayerError(`cannot create ${e.path.slice(dest.length + 1)} (errno ${e.errno})`);
    throw e;
  }
  return src.diffId();
}
