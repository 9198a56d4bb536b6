// The built-in default image: assembled from the host's static busybox, so a
// first container needs no network and no registry.
import { closeSync, mkdirSync, openSync, readFileSync, readSync, symlinkSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ZooError } from "../util/errors.ts";
import { writeTar, type TarEntry } from "./tar.ts";
import { sha256, type Store, type ImageConfig } from "./store.ts";
import { installImage, MT } from "./install.ts";

import { BUSYBOX_REF } from "./busybox-ref.ts";

export { BUSYBOX_REF };
const CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];

/** True when the ELF file has no program interpreter (so it runs in an empty rootfs). */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

function findBusybox(): string {
  for (const c of CANDIDATES) if (existsSync(c) && isStaticElf(c)) return c;
  throw new ZooError("no static busybox on this host to build the default image: install it (Debian: apt-get install busybox-static)");
}

export function busyboxEntries(binary: Uint8Array, applets: string[]): TarEntry[] {
  const dirs = ["bin", "dev", "etc", "home", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "var", "var/tmp"];
  const entries: TarEntry[] = dirs.map((d) => ({
    path: d + "/",
    type: "dir",
    mode: d === "tmp" || d === "var/tmp" ? 0o1777 : d === "root" ? 0o700 : 0o755,
  }));
  entries.push({ path: "bin/busybox", type: "file", mode: 0o755, data: binary });
  const text = (s: string) => new TextEncoder().encode(s);
  entries.push({ path: "etc/passwd", type: "file", mode: 0o644, data: text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n") });
  entries.push({ path: "etc/group", type: "file", mode: 0o644, data: text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n") });
  for (const a of [...new Set(applets)].sort()) {
    if (a === "bin/busybox" || !/^(bin|sbin|usr\/bin|usr\/sbin)\/[^/]+$/.test(a)) continue;
    entries.push({ path: a, type: "symlink", mode: 0o777, linkname: "/bin/busybox" });
  }
  return entries;
}

/** Writes entries as a tree (the layer's unpacked form). */
export function unpack(entries: TarEntry[], dir: string) {
  for (const e of entries) {
    const p = join(dir, e.path);
    if (e.type === "dir") {
      mkdirSync(p, { recursive: true });
      chmodSync(p, e.mode);
    } else if (e.type === "file") {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, e.data ?? new Uint8Array(), { mode: e.mode });
      chmodSync(p, e.mode);
    } else {
      symlinkSync(e.linkname!, p);
    }
  }
}

/** Makes the built-in image if the store does not have it. */
export async function ensureBusybox(store: Store): Promise<void> {
  if (store.readIndex()[BUSYBOX_REF]) return;
  await store.adding(() => makeBusybox(store));
}

async function makeBusybox(store: Store): Promise<void> {
  const bin = findBusybox();
  const list = Bun.spawnSync([bin, "--list-full"], { stdout: "pipe", stderr: "ignore" });
  if (list.exitCode !== 0) throw new ZooError(`${bin} --list-full failed: cannot list busybox applets`);
  const entries = busyboxEntries(readFileSync(bin), list.stdout.toString().split("\n").filter(Boolean));
  const tar = writeTar(entries);
  const diffId = `sha256:${sha256(tar)}`;
  const layerDigest = store.putBlob(tar);
  const config: ImageConfig = {
    architecture: process.arch === "arm64" ? "arm64" : "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [diffId] },
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configDigest = store.putBlob(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: configDigest, size: configBytes.length },
    layers: [{ mediaType: MT.ociLayer, digest: layerDigest, size: tar.length }],
  };
  await installImage(store, new TextEncoder().encode(JSON.stringify(manifest)), [BUSYBOX_REF]);
}
