// Hostile layers: each archive tries to write outside its layer directory
// (absolute paths, "..", writes through a symlink, hard links out, device
// nodes rootless) or to exhaust the store (decompression bomb, truncated or
// garbage archives). zoo must refuse the image with one clear line and leave
// nothing behind: no file outside, no layer directory, no scratch dir.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureTestUser, IS_ROOT, run, ZOO, type TestUser } from "../../helpers/env.ts";
import { useImageStore } from "./temp-store.ts";
import { writeTar, type TarEntry } from "../../../src/image/tar.ts";
import { busyboxLayer, dir, file, image, layer, symlink, writeLayout, type Layer } from "./oci-fixtures.ts";

describe.skipIf(!IS_ROOT)("hostile layers", () => {
  const t = useImageStore();
  let work: string;
  let canary: string;
  let user: TestUser;

  beforeAll(() => {
    work = mkdtempSync("/var/tmp/zoo-hostile-test-");
    canary = mkdtempSync("/tmp/zoo-hostile-canary-");
    Bun.spawnSync(["chmod", "0777", work, canary]);
    user = ensureTestUser();
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(canary, { recursive: true, force: true });
  });

  const up = "../".repeat(12);
  const cases: [string, () => TarEntry[] | Uint8Array, RegExp][] = [
    ["an absolute path", () => [file(`${canary}/abs`, "x")], /refusing a hostile layer: entry ".*\/abs" is absolute/],
    ["a path with ..", () => [file(`a/${up}${canary.slice(1)}/dotdot`, "x")], /refusing a hostile layer: entry ".*" contains "\.\."/],
    ["a write through a symlink", () => [symlink("evil", canary), file("evil/through", "x")], /refusing a hostile layer: "evil\/through" would be written through the symlink "evil"/],
    ["a relative symlink out, then a write through it", () => [dir("a"), symlink("a/up", up), file(`a/up${canary}/rel`, "x")], /written through the symlink "a\/up"/],
    ["a hard link to a host file (absolute)", () => [{ path: "passwd", type: "hardlink", mode: 0o644, linkname: "/etc/passwd" }], /hard link target of "passwd" "\/etc\/passwd" is absolute/],
    ["a hard link out with ..", () => [{ path: "passwd", type: "hardlink", mode: 0o644, linkname: `${up}etc/passwd` }], /contains "\.\."/],
    ["a hard link through a symlink", () => [symlink("etc", "/etc"), { path: "passwd", type: "hardlink", mode: 0o644, linkname: "etc/passwd" }], /written through the symlink "etc"/],
    ["garbage instead of a tar", () => new Uint8Array(4096).fill(7), /bad layer: header checksum mismatch/],
    ["a truncated archive", () => writeTar([file("big", "y".repeat(5000))]).slice(0, 2048), /bad layer: truncated archive/],
  ];

  // The busybox base under each hostile layer is fine, and unpacked first.
  const layersNow = () => (existsSync(join(t.store, "layers")) ? readdirSync(join(t.store, "layers")) : []).filter((l) => l !== busyboxLayer("none").diffId.slice(7));
  const scratchNow = () => (existsSync(join(t.store, "tmp")) ? readdirSync(join(t.store, "tmp")) : []);

  function layoutWith(name: string, bad: Layer, owner?: TestUser): string {
    const p = join(work, name.replace(/\W+/g, "-"));
    rmSync(p, { recursive: true, force: true });
    writeLayout(p, [{ tag: "x", name: `hostile/${name.replace(/\W+/g, "-").toLowerCase()}:1`, image: image({ layers: [busyboxLayer("none"), bad], config: { Cmd: ["true"] } }) }]);
    if (owner) Bun.spawnSync(["chown", "-R", `${owner.uid}:${owner.gid}`, p]);
    return p;
  }

  for (const [name, entries, re] of cases) {
    test(`refused: ${name}`, async () => {
      const e = entries();
      const p = layoutWith(name, layer(e, "gzip"));
      const before = layersNow();
      const r = await t.zoo(["load", "-i", p]);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.code).toBe(125);
      expect(readdirSync(canary)).toEqual([]);
      expect(layersNow()).toEqual(before);
      expect(scratchNow()).toEqual([]);
      expect((await t.zoo(["images", "-q", `hostile/${name.replace(/\W+/g, "-").toLowerCase()}:1`])).stdout).toBe("");
    });
  }

  test("refused: a decompression bomb past ZOO_MAX_LAYER_SIZE", async () => {
    const p = layoutWith("bomb", layer([file("zeros", "\0".repeat(1 << 20))], "zstd"));
    const r = await t.zoo(["load", "-i", p], { env: { ZOO_MAX_LAYER_SIZE: String(512 * 1024) } });
    expect(r.stderr).toMatch(/refusing a hostile layer: layer unpacks to more than 524288 bytes \(ZOO_MAX_LAYER_SIZE\)/);
    expect(r.code).toBe(125);
    expect(scratchNow()).toEqual([]);
  });

  test("refused: a layer whose content is not the diff ID its config names", async () => {
    const good = layer([file("ok", "ok\n")], "gzip");
    const other = layer([file("ok", "KO\n")], "gzip");
    const p = layoutWith("diffid", { ...good, diffId: other.diffId });
    const r = await t.zoo(["load", "-i", p]);
    expect(r.stderr).toMatch(/its content has diff ID sha256:[0-9a-f]{64}, but the image config says sha256:[0-9a-f]{64}: refusing it/);
    expect(r.code).toBe(125);
  });

  test("rootless: a device node is refused and nothing is left; as root it is made", async () => {
    const dev = layer([{ path: "dev/null2", type: "char", mode: 0o666, devmajor: 1, devminor: 3 }], "gzip");
    const p = layoutWith("device", dev, user);
    const store = mkdtempSync("/var/tmp/zoo-hostile-user-store-");
    chownSync(store, user.uid, user.gid);
    try {
      const r = await run([ZOO, "load", "-i", p], { asUser: user, env: { ZOO_ROOT: store } });
      expect(r.stderr).toBe('zoo: refusing a hostile layer: device node "dev/null2" cannot be created rootless\n');
      expect(r.code).toBe(125);
      expect(readdirSync(join(store, "layers")).filter((l) => l.startsWith(".tmp-"))).toEqual([]);
      const ok = await t.zoo(["load", "-i", p]);
      expect(ok.stderr).toBe("");
      const devLayer = join(t.store, "layers", dev.diffId.slice(7), "dev/null2");
      expect(statSync(devLayer).isCharacterDevice()).toBe(true);
    } finally {
      await run(["rm", "-rf", store]);
    }
  });

  test("setuid bits and owners survive where allowed: as root, and rootless for ids the user maps", async () => {
    const l = layer([dir("bin"), { ...file("bin/su-ish", "#!/bin/sh\n", 0o4755, 0, 0) }, file("owned", "x", 0o2644, 1000, 50)], "none");
    const p = layoutWith("setuid", l, user);
    const r = await t.zoo(["load", "-i", p]);
    expect(r.stderr).toBe("");
    const root = join(t.store, "layers", l.diffId.slice(7));
    expect(statSync(join(root, "bin/su-ish")).mode & 0o7777).toBe(0o4755);
    expect([statSync(join(root, "owned")).uid, statSync(join(root, "owned")).gid, statSync(join(root, "owned")).mode & 0o7777]).toEqual([1000, 50, 0o2644]);
    const store = mkdtempSync("/var/tmp/zoo-hostile-user-store-");
    chownSync(store, user.uid, user.gid);
    try {
      const u = await run([ZOO, "load", "-i", p], { asUser: user, env: { ZOO_ROOT: store } });
      expect(u.stderr).toBe("");
      const uroot = join(store, "layers", l.diffId.slice(7));
      // Container ids map to the user (0) and its subordinate range (1..).
      expect(statSync(join(uroot, "bin/su-ish")).uid).toBe(user.uid);
      expect(statSync(join(uroot, "bin/su-ish")).mode & 0o7777).toBe(0o4755);
      expect(statSync(join(uroot, "owned")).uid).toBe(user.subuid + 999);
      expect(statSync(join(uroot, "owned")).gid).toBe(user.subgid + 49);
    } finally {
      await run(["rm", "-rf", store]);
    }
  });
});

