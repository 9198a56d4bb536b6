// Images in and out of files: `zoo load` (docker-save archives and OCI image
// layouts, as a tar, gzipped tar or directory), `zoo save` (an OCI layout
// tar, which docker, podman and skopeo load) and `zoo import` (a root
// filesystem tar as a one-layer image). Every file of an archive is stored
// by the digest of its content, so a blob that is not what its name says is
// refused, and nothing is taken on trust.
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ZooError } from "../util/errors.ts";
import { checkManifest, installImage, isIndex, MT } from "./install.ts";
import { fileCompression, uncompressed } from "./layer.ts";
import { familiarName, parseRef, storeKey } from "./ref.ts";
import { hex, sha256File, type Descriptor, type ImageConfig, type Manifest, type Store } from "./store.ts";
import { header } from "./tar.ts";
import { readTar, TarFormatError } from "./tar-read.ts";
import { hostPlatform } from "./pull.ts";
import { findLocal } from "./resolve.ts";

const REF_NAME = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME = "io.containerd.image.name";

/** The archive's files, each stored in a scratch dir under its content's sha256. */
interface Unpacked {
  dir: string;
  files: Map<string, string>; // archive path → hex
  small: Map<string, Buffer>; // the JSON files, in memory
}

function scratchDir(store: Store): string {
  mkdirSync(join(store.root, "tmp"), { recursive: true, mode: 0o700 });
  return mkdtempSync(join(store.root, "tmp", "load-"));
}

const clean = (p: string) => p.split("/").filter((s) => s && s !== ".").join("/");

async function readArchive(path: string, dir: string): Promise<Unpacked> {
  const files = new Map<string, string>();
  const small = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const src = uncompressed(path);
  let n = 0;
  try {
    for await (const e of readTar(src.stream)) {
      const name = clean(e.header.path);
      if (e.header.type === "symlink" || e.header.type === "hardlink") {
        const base = e.header.type === "symlink" ? name.split("/").slice(0, -1).join("/") : "";
        const target = clean([...base.split("/"), ...e.header.linkname.split("/")].reduce<string[]>((acc, c) => (c === ".." ? acc.slice(0, -1) : c && c !== "." ? [...acc, c] : acc), []).join("/"));
        links.set(name, target);
        continue;
      }
      if (e.header.type !== "file") continue;
      const tmp = join(dir, `f${n++}`);
      const fd = openSync(tmp, "w", 0o600);
      const h = createHash("sha256");
      const keep = e.header.size <= 4 << 20 && name.endsWith(".json") ? [] as Buffer[] : null;
      try {
        for await (const c of e.data()) {
          h.update(c);
          keep?.push(Buffer.from(c));
          let off = 0;
          while (off < c.length) off += writeSync(fd, c, off);
        }
      } finally {
        closeSync(fd);
      }
      const x = h.digest("hex");
      const dest = join(dir, x);
      if (existsSync(dest)) rmSync(tmp);
      else renameSync(tmp, dest);
      files.set(name, x);
      if (keep) small.set(name, Buffer.concat(keep));
    }
  } catch (e) {
    if (e instanceof TarFormatError) throw new ZooError(`cannot read the archive: ${e.message}`);
    throw e;
  }
  for (const [l, t] of links) {
    const x = files.get(t);
    if (x) files.set(l, x);
  }
  return { dir, files, small };
}

/** An OCI layout directory read the same way (files hashed as they are copied). */
async function readLayoutDir(path: string, dir: string): Promise<Unpacked> {
  const files = new Map<string, string>();
  const small = new Map<string, Buffer>();
  for (const f of ["oci-layout", "index.json", "manifest.json"]) {
    if (existsSync(join(path, f))) small.set(f, readFileSync(join(path, f)));
  }
  const blobs = join(path, "blobs", "sha256");
  if (existsSync(blobs)) {
    const { readdirSync } = await import("node:fs");
    for (const b of readdirSync(blobs)) {
      const src = join(blobs, b);
      if (!statSync(src).isFile()) continue;
      const tmp = join(dir, `copy-${b}`);
      copyFileSync(src, tmp);
      const x = await sha256File(tmp);
      renameSync(tmp, join(dir, x));
      files.set(`blobs/sha256/${b}`, x);
      if (statSync(join(dir, x)).size <= 4 << 20) small.set(`blobs/sha256/${b}`, readFileSync(join(dir, x)));
    }
  }
  return { dir, files, small };
}

/** The blob an OCI layout names `digest`, if its content really has that digest. */
function layoutBlob(u: Unpacked, digest: string): string {
  const path = `blobs/sha256/${hex(digest)}`;
  const x = u.files.get(path);
  if (!x) throw new ZooError(`the archive lacks ${path}`);
  if (x !== hex(digest)) throw new ZooError(`digest mismatch: ${path} in the archive has content sha256:${x}`);
  return x;
}

function adopt(store: Store, u: Unpacked, x: string) {
  if (store.hasBlob(x)) return;
  const src = join(u.dir, x);
  if (!existsSync(src)) throw new ZooError(`blob sha256:${x} is missing from the archive`);
  store.scratch("x"); // makes blobs/sha256
  renameSync(src, store.blobPath(x));
}

function json<T>(u: Unpacked, name: string): T {
  const b = u.small.get(name) ?? (u.files.get(name) ? readFileSync(join(u.dir, u.files.get(name)!)) : null);
  if (!b) throw new ZooError(`the archive lacks ${name}`);
  try {
    return JSON.parse(b.toString("utf8")) as T;
  } catch {
    throw new ZooError(`${name} in the archive is not JSON`);
  }
}

/** Names an index entry carries: containerd's full name, or OCI's ref.name if it is a full reference. */
function namesOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a[CONTAINERD_NAME] ?? (a[REF_NAME] && /[:/@]/.test(a[REF_NAME]) ? a[REF_NAME] : undefined);
  if (!full) return [];
  try {
    return [storeKey(parseRef(full))];
  } catch {
    return [];
  }
}

async function loadOci(store: Store, u: Unpacked, say: (s: string) => void): Promise<void> {
  const index = json<{ manifests?: Descriptor[] }>(u, "index.json");
  const todo: { d: Descriptor; names: string[] }[] = (index.manifests ?? []).map((d) => ({ d, names: namesOf(d) }));
  if (todo.length === 0) throw new ZooError("the OCI layout's index.json lists no images");
  for (const { d, names } of todo) {
    let desc = d;
    if (isIndex(desc.mediaType)) {
      // A multi-platform image: this host's entry.
      const nested = json<{ manifests: Descriptor[] }>(u, `blobs/sha256/${layoutBlob(u, desc.digest)}`);
      const { choosePlatform } = await import("./pull.ts");
      desc = choosePlatform(nested.manifests, hostPlatform());
    }
    const mx = layoutBlob(u, desc.digest);
    const m = json<Manifest>(u, `blobs/sha256/${mx}`);
    checkManifest(m, `manifest ${desc.digest}`);
    for (const x of [m.config.digest, ...m.layers.map((l) => l.digest)]) adopt(store, u, layoutBlob(u, x));
    const bytes = readFileSync(join(u.dir, mx));
    const digest = await installImage(store, bytes, names);
    say(names.length ? names.map((n) => `Loaded image: ${n}`).join("\n") : `Loaded image ID: ${store.record(digest).id}`);
    if (!names.length) store.tag(`<none>@${digest}`, digest);
  }
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function loadDockerSave(store: Store, u: Unpacked, say: (s: string) => void): Promise<void> {
  const entries = json<DockerSaveEntry[]>(u, "manifest.json");
  if (!Array.isArray(entries) || entries.length === 0) throw new ZooError("manifest.json in the archive lists no images");
  for (const e of entries) {
    const configHex = u.files.get(clean(e.Config));
    if (!configHex) throw new ZooError(`the archive lacks ${e.Config}`);
    const configBytes = readFileSync(join(u.dir, configHex));
    const layers: Descriptor[] = e.Layers.map((l) => {
      const x = u.files.get(clean(l));
      if (!x) throw new ZooError(`the archive lacks layer ${l}`);
      return { mediaType: MT.ociLayer, digest: `sha256:${x}`, size: statSync(join(u.dir, x)).size };
    });
    for (const x of [configHex, ...layers.map((l) => hex(l.digest))]) adopt(store, u, x);
    for (const l of layers) l.mediaType = layerMediaType(store.blobPath(l.digest));
    const manifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: `sha256:${configHex}`, size: configBytes.length },
      layers,
    };
    const names = (e.RepoTags ?? []).map((t) => storeKey(parseRef(t)));
    const digest = await installImage(store, new TextEncoder().encode(JSON.stringify(manifest)), names);
    if (!names.length) store.tag(`<none>@${digest}`, digest);
    say(names.length ? names.map((n) => `Loaded image: ${n}`).join("\n") : `Loaded image ID: sha256:${configHex}`);
  }
}

function layerMediaType(blob: string): string {
  const c = fileCompression(blob);
  return c === "gzip" ? MT.ociLayerGzip : c === "zstd" ? MT.ociLayerZstd : MT.ociLayer;
}

/** `zoo load`: a file or directory path, or "-" for stdin. */
export async function loadImages(store: Store, input: string, say: (s: string) => void): Promise<void> {
  return store.adding(() => loadLeased(store, input, say));
}

async function loadLeased(store: Store, input: string, say: (s: string) => void): Promise<void> {
  const dir = scratchDir(store);
  try {
    let path = input;
    if (input === "-") path = await spoolStdin(dir);
    else if (!existsSync(input)) throw new ZooError(`load: ${input} does not exist`);
    const u = statSync(path).isDirectory() ? await readLayoutDir(path, dir) : await readArchive(path, dir);
    if (u.small.has("index.json") && (u.small.has("oci-layout") || u.files.has("oci-layout"))) await loadOci(store, u, say);
    else if (u.small.has("manifest.json")) await loadDockerSave(store, u, say);
    else throw new ZooError("load: neither an OCI image layout (oci-layout, index.json) nor a docker save archive (manifest.json)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `zoo save`: the images as one OCI layout (plus docker's manifest.json), written as a tar to `fd`. */
export async function saveImages(store: Store, names: string[], fd: number): Promise<void> {
  const manifests: Descriptor[] = [];
  const dockerManifest: DockerSaveEntry[] = [];
  const blobs = new Set<string>();
  for (const n of names) {
    const r = await findLocal(store, n);
    if (!r) throw new ZooError(`save: no such image: ${n} (see zoo images)`);
    const key = r.key && !r.key.startsWith("<none>") ? r.key : undefined;
    const annotations: Record<string, string> = {};
    if (key && !key.includes("@")) {
      const ref = parseRef(key);
      annotations[CONTAINERD_NAME] = `${ref.registry}/${ref.repo}:${ref.tag}`;
      annotations[REF_NAME] = `${familiarName(ref).includes("/") ? familiarName(ref) : `docker.io/library/${familiarName(ref)}`}:${ref.tag}`;
    }
    const mbytes = store.readBlob(r.manifestDigest);
    manifests.push({ mediaType: r.manifest.mediaType ?? MT.ociManifest, digest: r.manifestDigest, size: mbytes.length, ...(Object.keys(annotations).length ? { annotations } : {}) });
    for (const d of [r.manifestDigest, r.manifest.config.digest, ...r.manifest.layers.map((l) => l.digest)]) blobs.add(hex(d));
    dockerManifest.push({
      Config: `blobs/sha256/${hex(r.manifest.config.digest)}`,
      // Full names: podman reads a bare "busybox:latest" as localhost/busybox.
      RepoTags: annotations[CONTAINERD_NAME] ? [annotations[CONTAINERD_NAME]] : [],
      Layers: r.manifest.layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
    });
  }
  const w = (b: Uint8Array) => {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off);
  };
  const pad = (n: number) => w(new Uint8Array((512 - (n % 512)) % 512));
  const small = (path: string, text: string) => {
    const data = new TextEncoder().encode(text);
    w(header({ path, type: "file", mode: 0o644, data }));
    w(data);
    pad(data.length);
  };
  w(header({ path: "blobs/", type: "dir", mode: 0o755 }));
  w(header({ path: "blobs/sha256/", type: "dir", mode: 0o755 }));
  for (const x of blobs) {
    const p = join(store.blobPath(x));
    const size = statSync(p).size;
    w(header({ path: `blobs/sha256/${x}`, type: "file", mode: 0o644, size }));
    for await (const c of createReadStream(p, { highWaterMark: 1 << 20 })) w(c as Buffer);
    pad(size);
  }
  small("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  small("index.json", JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests }));
  // Also docker save's manifest.json over the same blobs (as Docker 25 writes):
  // loaders that take one image per OCI archive (podman 4) read this instead.
  small("manifest.json", JSON.stringify(dockerManifest));
  w(new Uint8Array(1024));
}

/** `zoo import`: a root filesystem tar (plain, gzip or zstd) as a one-layer image. */
export async function importRootfs(store: Store, input: string, name: string): Promise<string> {
  return store.adding(() => importLeased(store, input, name));
}

async function importLeased(store: Store, input: string, name: string): Promise<string> {
  const key = storeKey(parseRef(name));
  if (parseRef(name).digest) throw new ZooError("import: the name cannot have a digest");
  const dir = scratchDir(store);
  try {
    let path = input;
    if (input === "-") path = await spoolStdin(dir);
    else if (!existsSync(input) || statSync(input).isDirectory()) throw new ZooError(`import: ${input} is not a tar file`);
    const layerHex = await sha256File(path);
    const src = uncompressed(path);
    try {
      for await (const _ of readTar(src.stream));
      for await (const _ of src.stream);
    } catch (e) {
      throw new ZooError(`import: ${input} is not a root filesystem tar: ${(e as Error).message}`);
    }
    const diffId = src.diffId();
    if (!store.hasBlob(layerHex)) {
      const tmp = store.scratch(`import-${process.pid}`);
      copyFileSync(path, tmp);
      await store.adoptBlob(tmp, `sha256:${layerHex}`);
    }
    const p = hostPlatform();
    const config: ImageConfig = { architecture: p.architecture, os: p.os, created: new Date().toISOString(), config: {}, rootfs: { type: "layers", diff_ids: [diffId] } };
    const cbytes = new TextEncoder().encode(JSON.stringify(config));
    const cdigest = store.putBlob(cbytes);
    const manifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: cdigest, size: cbytes.length },
      layers: [{ mediaType: layerMediaType(store.blobPath(layerHex)), digest: `sha256:${layerHex}`, size: statSync(store.blobPath(layerHex)).size }],
    };
    await installImage(store, new TextEncoder().encode(JSON.stringify(manifest)), [key]);
    return cdigest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `-`: standard input, copied to a file in `dir` (archives are read more than once). */
async function spoolStdin(dir: string): Promise<string> {
  const path = join(dir, "stdin");
  const fd = openSync(path, "w", 0o600);
  try {
    for await (const c of Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>) w(fd, c);
  } finally {
    closeSync(fd);
  }
  return path;
}

function w(fd: number, c: Uint8Array) {
  let off = 0;
  while (off < c.length) off += writeSync(fd, c, off);
}
