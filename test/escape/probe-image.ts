// A "probe" image in a test store: the built-in busybox plus /bin/probe as a
// second layer, so `zoo run` front doors run the same probe binary as the
// zookeeper ones (zoo run has no volumes to bring it in otherwise).
import { chmodSync, cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUSYBOX_REF, ensureBusybox } from "../../src/image/busybox.ts";
import { sha256, Store } from "../../src/image/store.ts";
import { probe, run, type TestUser, ZOO } from "../helpers/env.ts";

export const PROBE_REF = "probe:latest";

export async function makeProbeImage(root: string, owner?: TestUser): Promise<void> {
  const store = new Store(root);
  if (owner) {
    // The user's own zoo unpacks busybox, so its layer has the ownership a rootless store really has.
    const r = await run([ZOO, "images"], { asUser: owner, env: { ZOO_ROOT: root } });
    if (r.code !== 0) throw new Error(`zoo images as ${owner.name} failed: ${r.stderr}`);
  } else {
    await ensureBusybox(store);
  }
  const base = store.image(BUSYBOX_REF);
  if (!base) throw new Error(`no busybox image in ${root}`);
  const bin = readFileSync(probe());
  const diffId = `sha256:${sha256(bin)}`;
  const layer = store.layerPath(diffId);
  mkdirSync(join(layer, "bin"), { recursive: true, mode: 0o755 });
  cpSync(probe(), join(layer, "bin/probe"));
  chmodSync(join(layer, "bin/probe"), 0o755);
  const config = { ...base.config, rootfs: { type: "layers" as const, diff_ids: [...base.layers, diffId] } };
  const configDigest = store.putBlob(new TextEncoder().encode(JSON.stringify(config)));
  const manifest = { schemaVersion: 2, config: { digest: configDigest }, layers: [] };
  store.tag(PROBE_REF, store.putBlob(new TextEncoder().encode(JSON.stringify(manifest))));
  if (owner) Bun.spawnSync(["chown", "-R", `${owner.uid}:${owner.gid}`, root]);
}
