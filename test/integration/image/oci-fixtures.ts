// OCI image layouts built by hand for the image tests: layers from tar
// entries (plain, gzip or zstd), configs, manifests, multi-platform indexes.
// Written as directories skopeo reads (oci:DIR:TAG) and zoo load reads.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { busyboxEntries } from "../../../src/image/busybox.ts";
import { writeTar, type TarEntry } from "../../../src/image/tar.ts";

export const sha = (b: Uint8Array) => "sha256:" + createHash("sha256").update(b).digest("hex");
const text = (s: string) => new TextEncoder().encode(s);

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Uint8Array;
}

export interface Layer extends Blob {
  diffId: string;
}

export function layer(entries: TarEntry[] | Uint8Array, compression: "gzip" | "zstd" | "none" = "gzip"): Layer {
  const tar = entries instanceof Uint8Array ? entries : writeTar(entries);
  const bytes = compression === "gzip" ? gzipSync(tar) : compression === "zstd" ? zstdCompressSync(tar) : tar;
  const mediaType = `application/vnd.oci.image.layer.v1.tar${compression === "none" ? "" : `+${compression}`}`;
  return { mediaType, digest: sha(bytes), size: bytes.length, bytes, diffId: sha(tar) };
}

let busyboxTar: Uint8Array | null = null;
/** The host's static busybox as a base layer (what zoo's built-in image holds). */
export function busyboxLayer(compression: "gzip" | "zstd" | "none" = "gzip"): Layer {
  if (!busyboxTar) {
    const list = Bun.spawnSync(["/bin/busybox", "--list-full"]).stdout.toString().split("\n").filter(Boolean);
    busyboxTar = writeTar(busyboxEntries(readFileSync("/bin/busybox"), list));
  }
  return layer(busyboxTar, compression);
}

export const file = (path: string, content: string, mode = 0o644, uid = 0, gid = 0): TarEntry => ({ path, type: "file", mode, uid, gid, data: text(content) });
export const dir = (path: string, mode = 0o755, uid = 0, gid = 0): TarEntry => ({ path: path.endsWith("/") ? path : path + "/", type: "dir", mode, uid, gid });
export const symlink = (path: string, target: string): TarEntry => ({ path, type: "symlink", mode: 0o777, linkname: target });

export interface ImageSpec {
  layers: Layer[];
  config?: Record<string, unknown>;
  architecture?: string;
  variant?: string;
}

export interface Built {
  manifest: Blob;
  config: Blob;
  layers: Layer[];
}

export function image(s: ImageSpec): Built {
  const cfg = {
    architecture: s.architecture ?? "amd64",
    ...(s.variant ? { variant: s.variant } : {}),
    os: "linux",
    created: "2026-01-02T03:04:05Z",
    config: s.config ?? {},
    rootfs: { type: "layers", diff_ids: s.layers.map((l) => l.diffId) },
  };
  const cbytes = text(JSON.stringify(cfg));
  const config: Blob = { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(cbytes), size: cbytes.length, bytes: cbytes };
  const m = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: s.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const mbytes = text(JSON.stringify(m));
  return { manifest: { mediaType: m.mediaType, digest: sha(mbytes), size: mbytes.length, bytes: mbytes }, config, layers: s.layers };
}

/** A multi-platform index over images (their configs' architecture/variant). */
export function index(images: Built[]): Blob & { images: Built[] } {
  const manifests = images.map((i) => {
    const c = JSON.parse(new TextDecoder().decode(i.config.bytes));
    return { mediaType: i.manifest.mediaType, digest: i.manifest.digest, size: i.manifest.size, platform: { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) } };
  });
  const bytes = text(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
  return { mediaType: "application/vnd.oci.image.index.v1+json", digest: sha(bytes), size: bytes.length, bytes, images };
}

function put(dirPath: string, b: Blob) {
  const p = join(dirPath, "blobs", "sha256");
  mkdirSync(p, { recursive: true });
  writeFileSync(join(p, b.digest.slice(7)), b.bytes);
}

/** Writes (or adds to) an OCI layout: one index.json entry per tag. */
export function writeLayout(path: string, entries: { tag: string; image: Built | (Blob & { images: Built[] }); name?: string }[]) {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const idxPath = join(path, "index.json");
  const idx = existsSync(idxPath) ? JSON.parse(readFileSync(idxPath, "utf8")) : { schemaVersion: 2, manifests: [] };
  for (const e of entries) {
    const builts = "images" in e.image ? e.image.images : [e.image];
    for (const b of builts) {
      put(path, b.manifest);
      put(path, b.config);
      for (const l of b.layers) put(path, l);
    }
    const top = "images" in e.image ? e.image : e.image.manifest;
    if ("images" in e.image) put(path, e.image);
    const annotations: Record<string, string> = { "org.opencontainers.image.ref.name": e.tag };
    if (e.name) annotations["io.containerd.image.name"] = e.name;
    idx.manifests.push({ mediaType: top.mediaType, digest: top.digest, size: top.size, annotations });
  }
  writeFileSync(idxPath, JSON.stringify(idx));
}
