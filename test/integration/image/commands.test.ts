// zoo images, tag, rmi, image inspect, image prune, import and --root, on a
// private store: names come and go, shared layers stay while anything uses
// them, and prune frees what nothing names.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { IS_ROOT, run, ZOO } from "../../helpers/env.ts";
import { useImageStore } from "./temp-store.ts";
import { writeTar } from "../../../src/image/tar.ts";
import { busyboxLayer, file, image, layer, writeLayout } from "./oci-fixtures.ts";

describe.skipIf(!IS_ROOT)("image commands", () => {
  const t = useImageStore();
  let work: string;
  const extra = layer([file("extra", "e\n")], "gzip");
  const img = image({ layers: [busyboxLayer("none"), extra], config: { Cmd: ["cat", "/extra"] } });
  const layers = () => readdirSync(join(t.store, "layers")).filter((l) => !l.startsWith("."));

  beforeAll(async () => {
    work = mkdtempSync("/var/tmp/zoo-image-commands-test-");
    writeLayout(join(work, "layout"), [{ tag: "1", name: "docker.io/zoo-test/extra:1", image: img }]);
    const r = await t.zoo(["load", "-i", join(work, "layout")]);
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("images lists names, IDs, ages and sizes; -q, --digests, --no-trunc and a filter", async () => {
    const r = await t.zoo(["images"]);
    expect(r.stdout).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[0-9a-f]{12}\s+N\/A\s+\S+\nzoo-test\/extra\s+1\s+([0-9a-f]{12})\s+\d+ (months?|years?) ago\s+\S+\n$/);
    expect(r.stdout).toContain(img.config.digest.slice(7, 19));
    expect((await t.zoo(["images", "-q", "zoo-test/extra"])).stdout).toBe(img.config.digest.slice(7, 19) + "\n");
    expect((await t.zoo(["images", "--no-trunc", "-q", "zoo-test/extra:1"])).stdout).toBe(img.config.digest + "\n");
    expect((await t.zoo(["images", "--digests", "zoo-test/extra"])).stdout).toContain(img.manifest.digest);
  });

  test("tag adds a name to the same image; inspect shows every name; rmi of one name keeps the image", async () => {
    expect((await t.zoo(["tag", "zoo-test/extra:1", "mine:v2"])).code).toBe(0);
    const insp = JSON.parse((await t.zoo(["image", "inspect", "mine:v2"])).stdout)[0];
    expect(insp.RepoTags.sort()).toEqual(["mine:v2", "zoo-test/extra:1"]);
    expect(insp.Id).toBe(img.config.digest);
    expect(insp.Config).toEqual({ Cmd: ["cat", "/extra"] });
    const rm = await t.zoo(["rmi", "mine:v2"]);
    expect(rm.stdout).toBe("Untagged: mine:v2\n");
    expect(layers()).toContain(extra.diffId.slice(7));
    // By ID with two names: refused without -f.
    await t.zoo(["tag", "zoo-test/extra:1", "mine:v3"]);
    const byId = await t.zoo(["rmi", img.config.digest.slice(7, 19)]);
    expect(byId.stderr).toMatch(/has several names \(mine:v3, zoo-test\/extra:1\): remove them by name or use -f/);
    expect(byId.code).toBe(125);
    const forced = await t.zoo(["rmi", "-f", img.config.digest.slice(7, 19)]);
    expect(forced.stdout).toBe(`Untagged: mine:v3\nUntagged: zoo-test/extra:1\nDeleted: ${img.config.digest}\n`);
    // The layer only this image used is gone; busybox's stays for busybox.
    expect(layers()).not.toContain(extra.diffId.slice(7));
    expect(layers()).toContain(busyboxLayer("none").diffId.slice(7));
    expect(existsSync(join(t.store, "blobs/sha256", extra.digest.slice(7)))).toBe(false);
    const none = await t.zoo(["rmi", "zoo-test/extra:1"]);
    expect([none.stderr, none.code]).toEqual(["zoo: no such image: zoo-test/extra:1 (see zoo images)\n", 125]);
  });

  test("import makes a one-layer image from a root filesystem tar, from a file or stdin", async () => {
    const tar = join(work, "rootfs.tar.gz");
    const list = Bun.spawnSync(["/bin/busybox", "--list-full"]).stdout.toString().split("\n").filter(Boolean);
    const { busyboxEntries } = await import("../../../src/image/busybox.ts");
    writeFileSync(tar, gzipSync(writeTar([...busyboxEntries(await Bun.file("/bin/busybox").bytes(), list), file("etc/imported", "yes\n")])));
    const r = await t.zoo(["import", tar, "imported:1"]);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const out = await t.zoo(["run", "--rm", "--network", "none", "imported:1", "cat", "/etc/imported"]);
    expect([out.stderr, out.stdout]).toEqual(["", "yes\n"]);
    const piped = await run(["sh", "-c", `"$0" import - piped:1 < ${tar}`, ZOO], { env: { ZOO_ROOT: t.store } });
    expect(piped.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/); // another "created" time, so another ID
    const a = JSON.parse((await t.zoo(["image", "inspect", "imported:1", "piped:1"])).stdout);
    expect(a[1].RootFS.Layers).toEqual(a[0].RootFS.Layers);
    const bad = await t.zoo(["import", join(work, "layout/index.json"), "bad:1"]);
    expect(bad.stderr).toMatch(/^zoo: import: .*index\.json is not a root filesystem tar: /);
    expect(bad.code).toBe(125);
  });

  test("image prune frees blobs and layers no name uses; --root picks another store", async () => {
    await t.zoo(["rmi", "imported:1", "piped:1"]);
    const p = await t.zoo(["image", "prune", "-f"]);
    expect(p.stdout).toMatch(/^Deleted \d+ blobs and \d+ layers\nTotal reclaimed space: \S+\n$/);
    expect(layers()).toEqual([busyboxLayer("none").diffId.slice(7)]);
    const other = mkdtempSync("/var/tmp/zoo-test-store-root-");
    try {
      const r = await run([ZOO, "--root", other, "images", "-q"]);
      expect(r.stdout).toMatch(/^[0-9a-f]{12}\n$/);
      expect(existsSync(join(other, "images.json"))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test("bad input: one line, exit 125", async () => {
    const cases: [string[], RegExp][] = [
      [["pull"], /pull: give one image/],
      [["tag", "busybox"], /tag: give SOURCE and TARGET/],
      [["image", "frob"], /image: unknown subcommand "frob"/],
      [["save", "-o", join(work, "x.tar"), "nope:1"], /save: no such image: nope:1/],
      [["load", "-i", join(work, "missing.tar")], /load: .*missing\.tar does not exist/],
      [["load", "-i", join(work, "layout/oci-layout")], /cannot read the archive: /],
      [["--root"], /--root needs a directory/],
      [["logout", "nowhere.example"], /not logged in to nowhere\.example/],
      [["login", "-u", "x", "localhost:1"], /login: give -u USER and the password/],
    ];
    for (const [args, re] of cases) {
      const r = await t.zoo(args, { env: { DOCKER_CONFIG: work } });
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.code).toBe(125);
    }
    expect(existsSync(join(work, "x.tar"))).toBe(false);
  });
});
