// The last step of every way an image arrives (pull, load, import, the
// built-in busybox): its blobs are in the store; check that the manifest and
// config agree, unpack the layers, then store the manifest and name it.
import { ZooError } from "../util/errors.ts";
import { ensureLayer, layerLabel } from "./layers.ts";
import type { ImageConfig, Manifest, Store } from "./store.ts";

export const MT = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export const isIndex = (mt: string | undefined) => mt === MT.ociIndex || mt === MT.dockerList;

const LAYER_TYPES = new Set<string>([MT.ociLayer, MT.ociLayerGzip, MT.ociLayerZstd, MT.dockerLayer, "application/vnd.docker.image.rootfs.diff.tar"]);

/** Checks what a manifest asks for before anything is fetched or unpacked. */
export function checkManifest(m: Manifest, what: string): void {
  if (m.schemaVersion !== 2 || !m.config?.digest || !Array.isArray(m.layers)) throw new ZooError(`${what}: not an image manifest (schema 2)`);
  for (const l of m.layers) {
    if (!/^sha256:[0-9a-f]{64}$/.test(l.digest)) throw new ZooError(`${what}: layer digest "${l.digest}" is not sha256`);
    if (!LAYER_TYPES.has(l.mediaType)) throw new ZooError(`${what}: layer media type "${l.mediaType}" is not supported (foreign or encrypted layers)`);
  }
}

export function checkConfig(c: ImageConfig, m: Manifest, what: string): void {
  if (!c.rootfs || !Array.isArray(c.rootfs.diff_ids)) throw new ZooError(`${what}: the image config has no rootfs.diff_ids`);
  if (c.rootfs.diff_ids.length !== m.layers.length) {
    throw new ZooError(`${what}: the manifest has ${m.layers.length} layers but the config names ${c.rootfs.diff_ids.length}`);
  }
}

export interface InstallOptions {
  /** Called as each layer starts and ends unpacking. */
  onLayer?: (digest: string, state: "extracting" | "done") => void;
}

/** Unpacks the manifest's layers (blobs already stored), stores the manifest, names it. */
export async function installImage(store: Store, manifestBytes: Uint8Array, keys: string[], o: InstallOptions = {}): Promise<string> {
  const m = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  checkManifest(m, "manifest");
  const config = store.readJson<ImageConfig>(m.config.digest);
  checkConfig(config, m, "image");
  for (const [i, l] of m.layers.entries()) {
    const diffId = config.rootfs.diff_ids[i]!;
    o.onLayer?.(l.digest, "extracting");
    await ensureLayer(store, diffId, l.digest, layerLabel(l.digest));
    o.onLayer?.(l.digest, "done");
  }
  const digest = store.putBlob(manifestBytes);
  for (const k of keys) store.tag(k, digest);
  return digest;
}

