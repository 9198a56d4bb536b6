// The local image store. Layout (docs/design/store.md):
//   blobs/sha256/<hex>     content-addressed blobs (layer tars, configs, manifests)
//   layers/<diffid hex>/   each layer unpacked once, shared by every image and container
//   images.json            name:tag → manifest digest
//   containers/<id>/       per-container upper and work dirs
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultStoreRoot(): string {
  if (process.env.ZOO_ROOT) return process.env.ZOO_ROOT;
  if (process.geteuid!() === 0) return "/var/lib/zoo";
  const data = process.env.XDG_DATA_HOME || join(process.env.HOME || homedir(), ".local/share");
  return join(data, "zoo");
}

export const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

export interface ImageRecord {
  manifest: string;
  config: ImageConfig;
  layers: string[]; // diff IDs, base layer first
}

export interface ImageConfig {
  architecture: string;
  os: string;
  config: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string; User?: string };
  rootfs: { type: "layers"; diff_ids: string[] };
}

export class Store {
  constructor(readonly root: string) {}

  blobPath(digest: string) {
    return join(this.root, "blobs", "sha256", digest.replace(/^sha256:/, ""));
  }

  layerPath(diffId: string) {
    return join(this.root, "layers", diffId.replace(/^sha256:/, ""));
  }

  containerDir(id: string) {
    return join(this.root, "containers", id);
  }

  /** Writes a blob under its digest (write to a temp name, then rename: readers never see half a blob). */
  putBlob(bytes: Uint8Array): string {
    const hex = sha256(bytes);
    const path = this.blobPath(hex);
    if (!existsSync(path)) {
      mkdirSync(join(this.root, "blobs", "sha256"), { recursive: true, mode: 0o700 });
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    return `sha256:${hex}`;
  }

  readIndex(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(join(this.root, "images.json"), "utf8"));
    } catch {
      return {};
    }
  }

  tag(name: string, manifestDigest: string) {
    const idx = this.readIndex();
    idx[name] = manifestDigest;
    const path = join(this.root, "images.json");
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(idx, null, 2) + "\n");
    renameSync(tmp, path);
  }

  image(name: string): ImageRecord | null {
    const digest = this.readIndex()[name];
    if (!digest) return null;
    const manifest = JSON.parse(readFileSync(this.blobPath(digest), "utf8"));
    const config: ImageConfig = JSON.parse(readFileSync(this.blobPath(manifest.config.digest), "utf8"));
    return { manifest: digest, config, layers: config.rootfs.diff_ids };
  }
}

export const normalizeRef = (ref: string) => (ref.includes(":") ? ref : `${ref}:latest`);
