// Each layer is unpacked once, by diff ID, into layers/<hex>: into a temporary
// directory first, renamed into place only when the whole archive was safe
// and its uncompressed digest is the one the image config names.
//
// Rootless, the unpacking runs in a user namespace with the caller's id maps
// (a copy of zoo started through the runtime), so files keep their owners as
// subordinate ids, as they will appear inside the container.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callerMappings } from "../runtime/idmap.ts";
import { runForeground } from "../runtime/run.ts";
import { removeTree } from "../engine/remove.ts";
import { ZooError } from "../util/errors.ts";
import { DEFAULT_MAX_LAYER_BYTES, HostileLayerError, unpackLayer } from "./layer.ts";
import { TarFormatError } from "./tar-read.ts";
import { hex, type Store } from "./store.ts";

export const UNPACK_HELPER_ARG = "__zoo-unpack-layer";

const rootless = () => process.geteuid!() !== 0;

function maxBytes(): number {
  const v = Number(process.env.ZOO_MAX_LAYER_SIZE);
  return v > 0 ? v : DEFAULT_MAX_LAYER_BYTES;
}

/** Removes a directory that may hold files of subordinate ids. */
export async function removeLayerDir(dir: string): Promise<void> {
  await removeTree(dir, rootless() ? callerMappings() : null);
}

/** Unpacks blob → layers/<diffId> unless it is there; `label` names the layer in errors. */
export async function ensureLayer(store: Store, diffId: string, blobDigest: string, label: string): Promise<void> {
  const dest = store.layerPath(diffId);
  if (existsSync(dest)) return;
  mkdirSync(join(store.root, "layers"), { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(join(store.root, "layers", ".tmp-"));
  const target = join(tmp, "root");
  let ok = false;
  try {
    mkdirSync(target, { mode: 0o755 });
    const got = rootless() ? await unpackInUserNs(store.blobPath(blobDigest), target) : await unpackHere(store.blobPath(blobDigest), target);
    if (got !== diffId) throw new ZooError(`layer ${label}: its content has diff ID ${got}, but the image config says ${diffId}: refusing it`);
    try {
      renameSync(target, dest);
    } catch (e) {
      if (!existsSync(dest)) throw e; // else a concurrent pull won the race
    }
    ok = true;
  } finally {
    await removeLayerDir(tmp).catch((e) => {
      if (ok) return;
      process.stderr.write(`zoo: cleanup: ${(e as Error).message}\n`);
    });
  }
}

async function unpackHere(blob: string, target: string): Promise<string> {
  try {
    return await unpackLayer(blob, target, { rootless: rootless(), maxBytes: maxBytes() });
  } catch (e) {
    throw layerError(e);
  }
}

function layerError(e: unknown): Error {
  if (e instanceof HostileLayerError) return new ZooError(`refusing a hostile layer: ${e.message}`);
  if (e instanceof TarFormatError) return new ZooError(`bad layer: ${e.message}`);
  return e as Error;
}

async function unpackInUserNs(blob: string, target: string): Promise<string> {
  const result = join(target, "..", "result.json");
  const maps = callerMappings();
  const self = process.argv[1]?.endsWith(".ts") ? [process.execPath, process.argv[1]] : [process.execPath];
  const r = await runForeground({
    ociVersion: "1.2.0",
    process: {
      args: [...self, UNPACK_HELPER_ARG, blob, target, result],
      env: [`ZOO_MAX_LAYER_SIZE=${maxBytes()}`, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
      cwd: "/",
      user: { uid: 0, gid: 0 },
    },
    linux: { namespaces: [{ type: "user" }, { type: "mount" }], uidMappings: maps.uid, gidMappings: maps.gid },
  });
  let out: { diffId?: string; error?: string } = {};
  try {
    out = JSON.parse(readFileSync(result, "utf8"));
  } catch {}
  if (out.error) throw new ZooError(out.error);
  if (r.status.code !== 0 || !out.diffId) throw new ZooError(`unpacking a layer in the user namespace failed (status ${r.status.code ?? r.status.signal})`);
  return out.diffId;
}

/** The helper's side: runs inside the user namespace, reports through a file. */
export async function unpackHelperMain(args: string[]): Promise<number> {
  const [blob, target, result] = args;
  if (!blob || !target || !result) return 2;
  try {
    const diffId = await unpackLayer(blob, target, { rootless: true, maxBytes: maxBytes() });
    writeFileSync(result, JSON.stringify({ diffId }));
    return 0;
  } catch (e) {
    writeFileSync(result, JSON.stringify({ error: layerError(e).message }));
    return 1;
  }
}

export const layerLabel = (digest: string) => hex(digest).slice(0, 12);
