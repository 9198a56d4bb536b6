// zoo pull from a real registry on loopback, behind token auth, from images
// skopeo pushed out of hand-built OCI layouts: layers gzip, zstd and plain;
// whiteouts and an opaque directory; a multi-platform index; digest refs;
// login/logout; a tampered blob refused; the same pull as an unprivileged user.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureTestUser, IS_ROOT, run, ZOO } from "../../helpers/env.ts";
import { useImageStore } from "./temp-store.ts";
import { busyboxLayer, dir, file, image, index, layer, symlink, writeLayout } from "./oci-fixtures.ts";
import { PASSWORD, REGISTRY_BIN, SKOPEO, startCuttingProxy, startRegistry, USER, type TestRegistry } from "./registry-fixture.ts";
import { randomBytes } from "node:crypto";

describe.skipIf(!IS_ROOT || !REGISTRY_BIN || !SKOPEO)("zoo pull from a registry with token auth", () => {
  const t = useImageStore();
  let work: string;
  let reg: TestRegistry;
  let dockerConfig: string;
  const zoo = (args: string[], o: { stdin?: string } = {}) => t.zoo(args, { ...o, env: { DOCKER_CONFIG: dockerConfig } });

  // Three layers: busybox (gzip); a layer that whites out /a, makes /d
  // opaque and adds a user (zstd); and a plain tar with a file of that user.
  const base = busyboxLayer("gzip");
  const l1 = layer([
    file("a", "A\n"),
    file("b", "B\n"),
    dir("d"),
    file("d/x", "X\n"),
    dir("etc"),
    file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"),
    file("etc/group", "root:x:0:\napp:x:1000:\nstaff:x:50:app\n"),
  ], "none");
  const l2 = layer([file(".wh.a", ""), dir("d"), file("d/.wh..wh..opq", ""), file("d/z", "Z\n"), file("c", "C\n"), symlink("link-to-b", "/b")], "zstd");
  const l3 = layer([dir("home/app", 0o755, 1000, 1000), file("home/app/owned", "mine\n", 0o640, 1000, 1000), dir("work", 0o777)], "none");
  const multi = image({
    layers: [base, l1, l2, l3],
    config: { Env: ["PATH=/bin:/sbin", "FOO=from-image"], Entrypoint: ["/bin/sh", "-c"], Cmd: ["echo $FOO; id; pwd"], WorkingDir: "/work", User: "app" },
  });
  const plat = (arch: string, variant?: string) => image({ layers: [base, layer([file("platform", `${arch}\n`)], "gzip")], architecture: arch, variant, config: { Cmd: ["cat", "/platform"] } });
  const idx = index([plat("amd64"), plat("arm64", "v8")]);

  beforeAll(async () => {
    work = mkdtempSync("/var/tmp/zoo-pull-test-");
    dockerConfig = join(work, "docker");
    const layout = join(work, "layout");
    writeLayout(layout, [{ tag: "multi", image: multi }, { tag: "index", image: idx }]);
    reg = await startRegistry(join(work, "registry"));
    await reg.push(layout, "multi", "private/multi:1");
    await reg.push(layout, "index", "public/index:1", true);
  }, 60_000);

  afterAll(async () => {
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  test("anonymous pull with a bearer token: the index resolves to this host's platform", async () => {
    const r = await zoo(["pull", `${reg.host}/public/index:1`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Digest: ${idx.digest}`);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${reg.host}/public/index:1`);
    expect(reg.tokenRequests.some((q) => q.scope === "repository:public/index:pull" && q.user === null)).toBe(true);
    const out = await zoo(["run", "--rm", "--network", "none", `${reg.host}/public/index:1`]);
    expect([out.stdout, out.code]).toEqual(["amd64\n", 0]);
    const again = await zoo(["pull", `${reg.host}/public/index:1`]);
    expect(again.stdout).toContain("Already exists");
    expect(again.stdout).toContain("Status: Image is up to date");
    // zoo run pulls what it does not have, with the progress on stderr.
    expect((await zoo(["rmi", `${reg.host}/public/index:1`])).code).toBe(0);
    const auto = await zoo(["run", "--rm", "--network", "none", `${reg.host}/public/index:1`]);
    expect(auto.stdout).toBe("amd64\n");
    expect(auto.stderr).toContain(`Status: Downloaded newer image for ${reg.host}/public/index:1`);
    expect(auto.code).toBe(0);
  }, 60_000);

  test("--platform picks another entry of the index; digest references work", async () => {
    const arm = idx.images[1]!;
    const r = await zoo(["pull", "--platform", "linux/arm64", `${reg.host}/public/index@${idx.digest}`]);
    expect(r.stderr).toBe("");
    const insp = JSON.parse((await zoo(["image", "inspect", `${reg.host}/public/index@${idx.digest}`])).stdout);
    expect(insp[0].Architecture).toBe("arm64");
    expect(insp[0].Id).toBe(arm.config.digest);
    const none = await zoo(["pull", "--platform", "linux/s390x", `${reg.host}/public/index:1`]);
    expect(none.stderr).toMatch(/no image for linux\/s390x in the index \(it has linux\/amd64, linux\/arm64\/v8\)/);
    expect(none.code).toBe(125);
  }, 60_000);

  test("a private repository needs login; wrong credentials are refused; logout forgets them", async () => {
    const name = `${reg.host}/private/multi:1`;
    const anon = await zoo(["pull", name]);
    expect(anon.stderr).toBe(`zoo: ${reg.host} wants you to log in: run zoo login ${reg.host}\n`);
    expect(anon.code).toBe(125);
    const bad = await zoo(["login", "-u", USER, "--password-stdin", reg.host], { stdin: "wrong\n" });
    expect(bad.stderr).toMatch(/refused the credentials/);
    expect(bad.code).toBe(125);
    const good = await zoo(["login", "-u", USER, "--password-stdin", reg.host], { stdin: `${PASSWORD}\n` });
    expect([good.stdout, good.code]).toEqual(["Login Succeeded\n", 0]);
    const cfg = JSON.parse(readFileSync(join(dockerConfig, "config.json"), "utf8"));
    expect(Buffer.from(cfg.auths[reg.host].auth, "base64").toString()).toBe(`${USER}:${PASSWORD}`);

    const r = await zoo(["pull", name]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // busybox is shared with the image pulled before: unpacked once.
    expect(r.stdout).toContain(`${base.digest.slice(7, 19)}: Already exists`);
    for (const l of [l1, l2, l3]) expect(r.stdout).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
    expect(reg.tokenRequests.some((q) => q.scope === "repository:private/multi:pull" && q.user === USER)).toBe(true);

    const out = await zoo(["logout", reg.host]);
    expect(out.stdout).toBe(`Removing login credentials for ${reg.host}\n`);
    expect(JSON.parse(readFileSync(join(dockerConfig, "config.json"), "utf8")).auths[reg.host]).toBeUndefined();
  }, 60_000);

  test("the pulled image runs with its config: entrypoint, cmd, env, workdir, user and groups", async () => {
    const name = `${reg.host}/private/multi:1`;
    const r = await zoo(["run", "--rm", "--network", "none", name]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("from-image\nuid=1000(app) gid=1000(app) groups=50(staff)\n/work\n");
    const fs = await zoo(["run", "--rm", "--network", "none", "-u", "root", name, "ls /; ls /d; cat /link-to-b; stat -c '%u:%g %a' /home/app/owned; echo $HOME"]);
    expect(fs.stdout).toBe(
      ["b", "bin", "c", "d", "dev", "etc", "home", "link-to-b", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "var", "work"].join("\n") + "\nz\nB\n1000:1000 640\n/root\n",
    );
    const inspect = JSON.parse((await zoo(["image", "inspect", name])).stdout)[0];
    expect(inspect.Id).toBe(multi.config.digest);
    expect(inspect.RootFS.Layers).toEqual(multi.layers.map((l) => l.diffId));
    expect(inspect.Manifest.Digest).toBe(multi.manifest.digest);
  }, 60_000);

  test("a blob whose content does not match its digest is refused, and nothing is kept", async () => {
    // Corrupt the layer in the registry's own storage: it serves what is on disk.
    const victim = layer([file("victim", "original\n")], "none");
    const img = image({ layers: [victim], config: { Cmd: ["true"] } });
    const layout = join(work, "tamper");
    writeLayout(layout, [{ tag: "t", image: img }]);
    await reg.push(layout, "t", "public/tamper:1");
    const data = join(reg.storage, "docker/registry/v2/blobs/sha256", victim.digest.slice(7, 9), victim.digest.slice(7), "data");
    const evil = layer([file("victim", "EVIL!!!!\n")], "none").bytes;
    expect(evil.length).toBe(victim.size); // same size, other content
    writeFileSync(data, evil);
    const layersBefore = readdirSync(join(t.store, "layers"));
    const r = await zoo(["pull", `${reg.host}/public/tamper:1`]);
    expect(r.stderr).toMatch(/digest mismatch/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.code).toBe(125);
    expect(readdirSync(join(t.store, "layers"))).toEqual(layersBefore);
    expect(existsSync(join(t.store, "blobs/sha256", victim.digest.slice(7)))).toBe(false);
    expect(readdirSync(join(t.store, "blobs/sha256")).filter((b) => b.startsWith("."))).toEqual([]);
    expect((await zoo(["images", "-q", `${reg.host}/public/tamper:1`])).stdout).toBe("");
  }, 60_000);

  test("an interrupted download is resumed with a Range request by the next pull", async () => {
    const raw = layer([{ path: "big", type: "file", mode: 0o644, data: randomBytes(3 << 20) }], "none");
    const layout = join(work, "big");
    writeLayout(layout, [{ tag: "b", image: image({ layers: [raw], config: { Cmd: ["true"] } }) }]);
    await reg.push(layout, "b", "public/big:1");
    const proxy = startCuttingProxy(reg.host);
    try {
      proxy.state.blob = raw.digest;
      proxy.state.after = 1 << 20;
      const name = `${proxy.host}/public/big:1`;
      const cut = await zoo(["pull", name]);
      expect(cut.stderr).toMatch(new RegExp(`^zoo: the download of layer ${raw.digest.slice(7, 19)} broke off after \\d+ of ${raw.size} bytes.*: run the pull again to resume\n$`));
      expect(cut.code).toBe(125);
      expect(proxy.state.cuts).toBe(1);
      const partial = join(t.store, "blobs/sha256", `.partial-${raw.digest.slice(7)}`);
      expect(existsSync(partial)).toBe(true);
      const again = await zoo(["pull", name]);
      expect([again.stderr, again.code]).toEqual(["", 0]);
      expect(proxy.state.requests.some((r) => r.includes(`/blobs/${raw.digest}`) && /\[bytes=\d+-\]$/.test(r))).toBe(true);
      expect(existsSync(partial)).toBe(false);
      expect(existsSync(join(t.store, "layers", raw.diffId.slice(7), "big"))).toBe(true);
    } finally {
      proxy.stop();
    }
  }, 60_000);

  test("on a terminal, progress bars are drawn in place", async () => {
    const l = layer([{ path: "blob", type: "file", mode: 0o644, data: randomBytes(1 << 20) }], "gzip");
    const layout = join(work, "tty");
    writeLayout(layout, [{ tag: "t", image: image({ layers: [l], config: { Cmd: ["true"] } }) }]);
    await reg.push(layout, "t", "public/tty:1");
    const cmd = `ZOO_ROOT=${t.store} TERM=xterm ${ZOO} pull ${reg.host}/public/tty:1`;
    const r = await run(["script", "-qec", cmd, "/dev/null"]);
    expect(r.stdout).toContain("\x1b[2K");
    expect(r.stdout).toMatch(/Downloading \[=+>\s*\] [\d.]+[kM]B\/[\d.]+[kM]B/);
    expect(r.stdout).toContain("Status: Downloaded newer image");
  }, 60_000);

  test("the registry's own htpasswd (Basic) auth", async () => {
    const basic = await startRegistry(join(work, "basic-registry"), "htpasswd");
    try {
      const layout = join(work, "layout");
      await basic.push(layout, "index", "any/name:1", true);
      const name = `${basic.host}/any/name:1`;
      const anon = await zoo(["pull", name]);
      expect(anon.stderr).toBe(`zoo: ${basic.host} wants a user name and password: run zoo login ${basic.host}\n`);
      const bad = await zoo(["login", "-u", USER, "-p", "nope", basic.host]);
      expect(bad.stderr).toMatch(/refused the credentials/);
      const good = await zoo(["login", "-u", USER, "-p", PASSWORD, basic.host]);
      expect(good.stdout).toBe("Login Succeeded\n");
      const r = await zoo(["pull", "-q", name]);
      expect([r.stderr, r.stdout, r.code]).toEqual(["", `${name}\n`, 0]);
    } finally {
      await basic.stop();
    }
  }, 60_000);

  test("rootless: the test user pulls into its own store and runs the image", async () => {
    const user = ensureTestUser();
    const store = join(user.home, ".local/share/zoo");
    rmSync(store, { recursive: true, force: true });
    const r = await run([ZOO, "pull", `${reg.host}/public/index:1`], { asUser: user });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = await run([ZOO, "run", "--rm", "--network", "none", `${reg.host}/public/index:1`], { asUser: user });
    expect([out.stderr, out.stdout, out.code]).toEqual(["", "amd64\n", 0]);
    const rm = await run([ZOO, "rmi", `${reg.host}/public/index:1`], { asUser: user });
    expect(rm.code).toBe(0);
    rmSync(store, { recursive: true, force: true });
  }, 60_000);
});
