// The store-side work of zoo images, tag, rmi, image inspect, image prune,
// login and logout (the CLI files parse; these act).
import { ZooError } from "../util/errors.ts";
import { removeCredentials, saveCredentials, type Credentials } from "./auth.ts";
import { ensureBusybox } from "./busybox.ts";
import { findLocal } from "./resolve.ts";
import { removeLayerDir } from "./layers.ts";
import { DOCKER_HUB, familiarName, parseRef, storeKey } from "./ref.ts";
import { Registry } from "./registry.ts";
import { hex, type ImageRecord, type Store } from "./store.ts";
import { formatBytes } from "./units.ts";

const splitKey = (k: string) => {
  const at = k.indexOf("@");
  if (at >= 0) return { repo: k.slice(0, at), tag: "<none>", digest: k.slice(at + 1) };
  const i = k.lastIndexOf(":");
  return { repo: k.slice(0, i), tag: k.slice(i + 1), digest: "" };
};

export interface ImagesOptions {
  quiet: boolean;
  digests: boolean;
  noTrunc: boolean;
  filter?: string;
}

export async function listImages(store: Store, o: ImagesOptions): Promise<string> {
  await ensureBusybox(store);
  let rows = store.list();
  if (o.filter) {
    const f = o.filter.includes(":") ? storeKey(parseRef(o.filter)) : familiarName(parseRef(o.filter));
    rows = rows.filter((r) => r.key === f || splitKey(r.key!).repo === f);
  }
  const id = (r: ImageRecord) => (o.noTrunc ? r.id : hex(r.id).slice(0, 12));
  if (o.quiet) return [...new Set(rows.map(id))].map((x) => x + "\n").join("");
  const head = ["REPOSITORY", "TAG", ...(o.digests ? ["DIGEST"] : []), "IMAGE ID", "CREATED", "SIZE"];
  const table = [head];
  for (const r of rows) {
    const k = splitKey(r.key!);
    table.push([k.repo, k.tag, ...(o.digests ? [k.digest || r.manifestDigest] : []), id(r), ago(r.config.created), formatBytes(store.size(r))]);
  }
  const w = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)) + 3);
  return table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(w[c]!))).join("") + "\n").join("");
}

function ago(created?: string): string {
  const t = created ? Date.parse(created) : NaN;
  if (!(t > 0)) return "N/A";
  const s = Math.max(0, (Date.now() - t) / 1000);
  const units: [number, string][] = [[365 * 86400, "year"], [30 * 86400, "month"], [7 * 86400, "week"], [86400, "day"], [3600, "hour"], [60, "minute"]];
  for (const [n, u] of units) if (s >= n) return `${Math.floor(s / n)} ${u}${Math.floor(s / n) > 1 ? "s" : ""} ago`;
  return "Less than a minute ago";
}

function mustFind(store: Store, name: string): ImageRecord {
  const r = store.find(name);
  if (!r) throw new ZooError(`no such image: ${name} (see zoo images)`);
  return r;
}

export async function tagImage(store: Store, source: string, target: string): Promise<void> {
  const r = (await findLocal(store, source)) ?? mustFind(store, source);
  const t = parseRef(target);
  if (t.digest) throw new ZooError(`tag: the target "${target}" cannot have a digest`);
  store.tag(storeKey(t), r.manifestDigest);
}

/** Removes names; an image ID (or -f with a name shared by others) removes every name of it. Returns the lines Docker prints. */
export async function removeImages(store: Store, names: string[], force: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const r = mustFind(store, name);
    const idx = store.readIndex();
    const sameImage = Object.keys(idx).filter((k) => idx[k] === r.manifestDigest);
    const byName = idx[name] ? name : keyOf(name, idx);
    let keys: string[];
    if (byName) keys = [byName];
    else {
      if (sameImage.length > 1 && !force) throw new ZooError(`image ${name} has several names (${sameImage.join(", ")}): remove them by name or use -f`);
      keys = sameImage;
    }
    store.updateIndex((i) => {
      for (const k of keys) delete i[k];
    });
    for (const k of keys) out.push(`Untagged: ${k}`);
    const still = Object.values(store.readIndex()).includes(r.manifestDigest);
    if (!still) out.push(`Deleted: ${r.id}`);
  }
  // What no name uses any more goes now; layers under running containers stay.
  await store.garbageCollect(removeLayerDir);
  return out;
}

function keyOf(name: string, idx: Record<string, string>): string | null {
  try {
    const k = storeKey(parseRef(name));
    return idx[k] ? k : null;
  } catch {
    return null;
  }
}

export async function pruneImages(store: Store): Promise<string> {
  const r = await store.garbageCollect(removeLayerDir, true);
  if (!r) throw new ZooError("a pull, load or import is adding to the store right now: prune again when it is done");
  return `Deleted ${r.blobs} blobs and ${r.layers} layers\nTotal reclaimed space: ${formatBytes(r.bytes)}\n`;
}

/** Docker-style `image inspect` objects. */
export async function inspectImages(store: Store, names: string[]): Promise<object[]> {
  const out = [];
  for (const name of names) {
    const r = (await findLocal(store, name)) ?? mustFind(store, name);
    const idx = store.readIndex();
    const keys = Object.keys(idx).filter((k) => idx[k] === r.manifestDigest);
    out.push({
      Id: r.id,
      RepoTags: keys.filter((k) => !k.includes("@")),
      RepoDigests: [...new Set(keys.filter((k) => !k.startsWith("<none>")).map((k) => `${splitKey(k).repo}@${splitKey(k).digest || r.manifestDigest}`))],
      Created: r.config.created ?? "",
      Architecture: r.config.architecture,
      Variant: r.config.variant,
      Os: r.config.os,
      Config: r.config.config ?? {},
      RootFS: { Type: "layers", Layers: r.layers },
      Size: store.size(r),
      Manifest: { Digest: r.manifestDigest, MediaType: r.manifest.mediaType },
    });
  }
  return out;
}

export async function login(registry: string | undefined, creds: Credentials, insecure: boolean): Promise<string> {
  const reg = registry ? parseRegistry(registry) : DOCKER_HUB;
  await new Registry(reg, { credentials: creds, insecure }).ping();
  saveCredentials(reg, creds);
  return "Login Succeeded\n";
}

export function logout(registry: string | undefined): string {
  const reg = registry ? parseRegistry(registry) : DOCKER_HUB;
  if (!removeCredentials(reg)) throw new ZooError(`not logged in to ${reg}`);
  return `Removing login credentials for ${reg}\n`;
}

/** "https://host:5000/" or "host:5000" → "host:5000". */
function parseRegistry(s: string): string {
  const host = s.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) throw new ZooError(`"${s}" is not a registry host (e.g. registry.example.com or localhost:5000)`);
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DOCKER_HUB : host;
}
