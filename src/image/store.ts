// The local image store. Layout (docs/design/store.md):
//   blobs/sha256/<hex>     content-addressed blobs (layer tars, configs, manifests), verified on write
//   layers/<diffid hex>/   each layer unpacked once, shared by every image and container
//   images.json            NAME:TAG (or NAME@DIGEST) → manifest digest
//   containers/<id>/       per-container upper and work dirs
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { flockExclusive } from "../sys/libc.ts";
import { flock } from "./sys.ts";
import { ZooError } from "../util/errors.ts";
import { familiarName, parseRef, storeKey } from "./ref.ts";

/** `--root` (set by the zoo front door as ZOO_ROOT), else per user. */
export function defaultStoreRoot(): string {
  if (process.env.ZOO_ROOT) return process.env.ZOO_ROOT;
  if (process.geteuid!() === 0) return "/var/lib/zoo";
  const data = process.env.XDG_DATA_HOME || join(process.env.HOME || homedir(), ".local/share");
  return join(data, "zoo");
}

// Bun's hasher, not node:crypto: loading that module costs ~7 ms, and every
// `zoo run` loads this one.
export const sha256 = (b: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

export async function sha256File(path: string): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest("hex");
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string; User?: string; [k: string]: unknown };
  rootfs: { type: "layers"; diff_ids: string[] };
  [k: string]: unknown;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageRecord {
  /** The store key it was found by, when it was found by one. */
  key?: string;
  manifestDigest: string;
  manifest: Manifest;
  /** The image ID, as Docker's: the config's digest. */
  id: string;
  config: ImageConfig;
  /** Diff IDs, base layer first. */
  layers: string[];
}

export const hex = (digest: string) => digest.replace(/^sha256:/, "");

export class Store {
  constructor(readonly root: string) {}

  blobPath(digest: string) {
    return join(this.root, "blobs", "sha256", hex(digest));
  }

  layerPath(diffId: string) {
    return join(this.root, "layers", hex(diffId));
  }

  containerDir(id: string) {
    return join(this.root, "containers", id);
  }

  hasBlob(digest: string) {
    return existsSync(this.blobPath(digest));
  }

  hasLayer(diffId: string) {
    return existsSync(this.layerPath(diffId));
  }

  /** A scratch path next to the blobs (same filesystem, so it can be renamed in). */
  scratch(name: string): string {
    mkdirSync(join(this.root, "blobs", "sha256"), { recursive: true, mode: 0o700 });
    return join(this.root, "blobs", "sha256", `.${name}`);
  }

  /** Writes a blob under its digest (temp name then rename: readers never see half a blob). */
  putBlob(bytes: Uint8Array, expected?: string): string {
    const h = sha256(bytes);
    if (expected && hex(expected) !== h) throw new ZooError(`digest mismatch: expected ${expected}, got sha256:${h}`);
    const path = this.blobPath(h);
    if (!existsSync(path)) {
      const tmp = this.scratch(`tmp-${process.pid}-${h}`);
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    return `sha256:${h}`;
  }

  /** Moves a downloaded or extracted file into the store, if its content has the digest it claims. */
  async adoptBlob(file: string, expected: string): Promise<void> {
    const h = await sha256File(file);
    if (h !== hex(expected)) {
      unlinkSync(file);
      throw new ZooError(`digest mismatch: expected ${expected}, got sha256:${h}`);
    }
    renameSync(file, this.blobPath(h));
  }

  readBlob(digest: string): Buffer {
    try {
      return readFileSync(this.blobPath(digest));
    } catch {
      throw new ZooError(`blob ${digest} is missing from the store at ${this.root}`);
    }
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.readBlob(digest).toString("utf8")) as T;
  }

  readIndex(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(join(this.root, "images.json"), "utf8"));
    } catch {
      return {};
    }
  }

  /** Read-modify-write of images.json under a lock, so concurrent pulls do not lose tags. */
  updateIndex(fn: (idx: Record<string, string>) => void) {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const fd = openSync(join(this.root, "images.lock"), "a", 0o600);
    try {
      flockExclusive(fd);
      const idx = this.readIndex();
      fn(idx);
      const path = join(this.root, "images.json");
      const tmp = `${path}.tmp-${process.pid}`;
      const sorted = Object.fromEntries(Object.entries(idx).sort(([a], [b]) => a.localeCompare(b)));
      writeFileSync(tmp, JSON.stringify(sorted, null, 2) + "\n");
      renameSync(tmp, path);
    } finally {
      closeSync(fd);
    }
  }

  tag(key: string, manifestDigest: string) {
    this.updateIndex((idx) => void (idx[key] = manifestDigest));
  }

  record(manifestDigest: string, key?: string): ImageRecord {
    const manifest = this.readJson<Manifest>(manifestDigest);
    const config = this.readJson<ImageConfig>(manifest.config.digest);
    return { key, manifestDigest, manifest, id: manifest.config.digest, config, layers: config.rootfs.diff_ids };
  }

  /** By NAME[:TAG], NAME@DIGEST, a full image ID or a unique prefix of one; null when absent. */
  find(name: string): ImageRecord | null {
    const idx = this.readIndex();
    if (idx[name]) return this.record(idx[name]!, name);
    const idLike = /^(sha256:)?[0-9a-f]{4,64}$/.test(name);
    let r;
    try {
      r = parseRef(name);
    } catch (e) {
      if (!idLike) throw e;
    }
    if (r) {
      const key = storeKey(r);
      if (idx[key]) return this.record(idx[key]!, key);
      if (r.digest && this.hasBlob(r.digest)) {
        const name = familiarName(r);
        const k = Object.keys(idx).find((k) => idx[k] === r.digest && (k.startsWith(name + ":") || k.startsWith(name + "@")));
        if (k) return this.record(r.digest, k);
      }
    }
    if (!idLike) return null;
    const want = hex(name);
    const hits = new Map<string, string>();
    for (const [k, m] of Object.entries(idx)) {
      const id = hex(this.readJson<Manifest>(m).config.digest);
      if (id.startsWith(want) && !hits.has(id)) hits.set(id, k);
    }
    if (hits.size > 1) throw new ZooError(`image ID prefix "${name}" is ambiguous: give more digits`);
    const [k] = hits.values();
    return k ? this.record(idx[k]!, k) : null;
  }

  /** find() by its older name. */
  image(name: string): ImageRecord | null {
    return this.find(name);
  }

  /** Every store key with its image. */
  list(): ImageRecord[] {
    return Object.entries(this.readIndex()).map(([k, m]) => this.record(m, k));
  }

  /** Bytes of the image's layer blobs as stored (compressed). */
  size(r: ImageRecord): number {
    return r.manifest.layers.reduce((n, l) => n + (statSync(this.blobPath(l.digest), { throwIfNoEntry: false })?.size ?? l.size), 0);
  }

  /** Diff IDs of layers used by existing containers (a running one's lowerdirs must stay). */
  layersInUse(): Set<string> {
    const out = new Set<string>();
    const dir = join(this.root, "containers");
    for (const c of existsSync(dir) ? readdirSync(dir) : []) {
      try {
        for (const l of JSON.parse(readFileSync(join(dir, c, "layers.json"), "utf8")) as string[]) out.add(hex(l));
      } catch {}
    }
    return out;
  }

  /**
   * Holds a shared lease on the store while `fn` adds content: blobs and
   * layers not yet named by an image must not be collected meanwhile.
   */
  async adding<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const fd = openSync(join(this.root, "gc.lock"), "a", 0o600);
    try {
      flock(fd, "shared");
      return await fn();
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Removes blobs and unpacked layers no stored image or container uses;
   * returns what went, or null when a pull or load is adding content now.
   * `partials`: also interrupted downloads (kept otherwise, to resume).
   */
  async garbageCollect(remove: (dir: string) => Promise<void>, partials = false): Promise<{ blobs: number; layers: number; bytes: number } | null> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const fd = openSync(join(this.root, "gc.lock"), "a", 0o600);
    try {
      if (!flock(fd, "exclusive-now")) return null;
      return await this.collect(remove, partials);
    } finally {
      closeSync(fd);
    }
  }

  private async collect(remove: (dir: string) => Promise<void>, partials: boolean): Promise<{ blobs: number; layers: number; bytes: number }> {
    const blobs = new Set<string>();
    const layers = this.layersInUse();
    for (const m of new Set(Object.values(this.readIndex()))) {
      const r = this.record(m);
      blobs.add(hex(m)).add(hex(r.id));
      for (const l of r.manifest.layers) blobs.add(hex(l.digest));
      for (const d of r.layers) layers.add(hex(d));
    }
    const out = { blobs: 0, layers: 0, bytes: 0 };
    const bdir = join(this.root, "blobs", "sha256");
    for (const b of existsSync(bdir) ? readdirSync(bdir) : []) {
      if (blobs.has(b) || (b.startsWith(".") && !partials)) continue;
      out.bytes += statSync(join(bdir, b)).size;
      rmSync(join(bdir, b), { force: true });
      if (!b.startsWith(".")) out.blobs++;
    }
    const ldir = join(this.root, "layers");
    for (const l of existsSync(ldir) ? readdirSync(ldir) : []) {
      if (layers.has(l) || (l.startsWith(".tmp-") && !partials)) continue;
      await remove(join(ldir, l));
      if (!l.startsWith(".")) out.layers++;
    }
    const short = join(this.root, "l");
    for (const l of existsSync(short) ? readdirSync(short) : []) if (!existsSync(join(short, l))) rmSync(join(short, l), { force: true });
    // Nothing is adding content (we hold the lock): scratch left by a killed zoo is stale.
    const tdir = join(this.root, "tmp");
    if (partials) for (const d of existsSync(tdir) ? readdirSync(tdir) : []) await remove(join(tdir, d));
    return out;
  }
}

