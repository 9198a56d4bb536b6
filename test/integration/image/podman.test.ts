// Archives between zoo and podman (a private podman store): zoo save is read
// by podman load, podman save (docker-archive and oci-archive) by zoo load,
// and image IDs (config digests) and layer diff IDs survive both ways.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT, run } from "../../helpers/env.ts";
import { useImageStore } from "./temp-store.ts";
import { busyboxLayer, dir, file, image, layer, writeLayout } from "./oci-fixtures.ts";

const PODMAN = Bun.which("podman", { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" });

describe.skipIf(!PODMAN || !IS_ROOT)("zoo save / zoo load with podman", () => {
  const t = useImageStore();
  let work: string;
  const podman = (args: string[]) =>
    run([PODMAN!, "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", "--events-backend", "file", "--cgroup-manager", "cgroupfs", ...args], { timeoutMs: 60_000 });

  const upper = layer([file(".wh.gone", ""), dir("opt"), file("opt/.wh..wh..opq", ""), file("opt/new", "new\n")], "gzip"); // podman 4 writes no zstd into docker archives
  const img = image({
    layers: [busyboxLayer("gzip"), layer([dir("opt"), file("opt/old", "old\n"), file("gone", "x")], "none"), upper],
    config: { Cmd: ["sh", "-c", "ls /opt; ls /gone 2>/dev/null || echo no-gone"], Env: ["PATH=/bin:/usr/bin"] },
  });
  const NAME = "zoo-test/roundtrip:1";

  beforeAll(async () => {
    work = mkdtempSync("/var/tmp/zoo-podman-image-test-");
    writeLayout(join(work, "layout"), [{ tag: "1", name: `docker.io/${NAME}`, image: img }]);
    const r = await t.zoo(["load", "-i", join(work, "layout")]);
    if (r.code !== 0) throw new Error(`zoo load: ${r.stderr}`);
  });
  afterAll(async () => {
    await podman(["rmi", "--all", "--force"]);
    rmSync(work, { recursive: true, force: true });
  });

  test("zoo save → podman load: the same image ID, layers and name", async () => {
    const tar = join(work, "zoo.tar");
    const s = await t.zoo(["save", "-o", tar, NAME, "busybox"]);
    expect([s.stderr, s.code]).toEqual(["", 0]);
    const l = await podman(["load", "-i", tar]);
    expect(l.code).toBe(0);
    expect(l.stdout).toContain(`Loaded image: docker.io/${NAME}`);
    const insp = JSON.parse((await podman(["image", "inspect", `docker.io/${NAME}`])).stdout)[0];
    expect(insp.Id).toBe(img.config.digest.slice(7));
    expect(insp.RootFS.Layers).toEqual(img.layers.map((x) => x.diffId));
    // A single image is read as an OCI archive.
    const one = join(work, "one.tar");
    await t.zoo(["save", "-o", one, NAME]);
    const l1 = await podman(["load", "-i", one]);
    expect(l1.code).toBe(0);
    expect(JSON.parse((await podman(["image", "inspect", `docker.io/${NAME}`])).stdout)[0].Id).toBe(img.config.digest.slice(7));
  });

  for (const format of ["docker-archive", "oci-archive"]) {
    test(`podman save --format ${format} → zoo load: the same image ID, and it runs with its whiteouts`, async () => {
      const tar = join(work, `podman-${format}.tar`);
      const s = await podman(["save", "--format", format, "-o", tar, `docker.io/${NAME}`]);
      expect(s.code).toBe(0);
      const podmanId = JSON.parse((await podman(["image", "inspect", `docker.io/${NAME}`])).stdout)[0].Id;
      await t.zoo(["rmi", NAME]);
      const l = await t.zoo(["load", "-i", tar]);
      expect([l.stderr, l.stdout, l.code]).toEqual(["", `Loaded image: ${NAME}\n`, 0]);
      const insp = JSON.parse((await t.zoo(["image", "inspect", NAME])).stdout)[0];
      expect(insp.Id).toBe(`sha256:${podmanId}`);
      expect(insp.RootFS.Layers).toEqual(img.layers.map((x) => x.diffId));
      const r = await t.zoo(["run", "--rm", "--network", "none", NAME]);
      expect([r.stderr, r.stdout]).toEqual(["", "new\nno-gone\n"]);
    });
  }

  test("zoo save → zoo load into another store keeps the manifest digest; stdin and stdout work", async () => {
    const other = mkdtempSync("/var/tmp/zoo-test-store-other-");
    try {
      const tar = join(work, "zoo-again.tar");
      await run(["sh", "-c", `ZOO_ROOT=${t.store} "$0" save ${NAME} > ${tar}`, join(import.meta.dir, "../../../dist/zoo")]);
      const l = await run(["sh", "-c", `ZOO_ROOT=${other} "$0" load < ${tar}`, join(import.meta.dir, "../../../dist/zoo")]);
      expect([l.stderr, l.stdout]).toEqual(["", `Loaded image: ${NAME}\n`]);
      const a = JSON.parse((await t.zoo(["image", "inspect", NAME])).stdout)[0];
      const b = JSON.parse((await run([join(import.meta.dir, "../../../dist/zoo"), "image", "inspect", NAME], { env: { ZOO_ROOT: other } })).stdout)[0];
      expect(b.Manifest.Digest).toBe(a.Manifest.Digest);
      expect(b.Id).toBe(a.Id);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
