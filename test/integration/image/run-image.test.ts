// `zoo run IMAGE` with an image that has a config (entrypoint, cmd, env,
// workdir, a user in its /etc/passwd) and every run flag of the issue,
// checked from inside the container (limits from the host's cgroups);
// overlay isolation between containers and from the image; nothing left.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT, ZOO } from "../../helpers/env.ts";
import { useImageStore } from "./temp-store.ts";
import { busyboxLayer, dir, file, image, layer, symlink, writeLayout } from "./oci-fixtures.ts";

const IMG = "zoo-test/app:1";

describe.skipIf(!IS_ROOT)("zoo run IMAGE with the image config and run flags", () => {
  const t = useImageStore();
  let work: string;
  const zoo = (args: string[], env: Record<string, string> = {}) => t.zoo(args, { env });
  const run = (flags: string[], cmd: string[] = []) => zoo(["run", "--rm", "--network", "none", ...flags, IMG, ...cmd]);

  beforeAll(async () => {
    work = mkdtempSync("/var/tmp/zoo-run-image-test-");
    const etc = layer([
      dir("etc"),
      file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"),
      file("etc/group", "root:x:0:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:app,root\n"),
      dir("home/app", 0o755, 1000, 1000),
      dir("srv", 0o755, 1000, 1000),
      file("srv/image-file", "from the image\n"),
      symlink("escape", "/etc"),
    ]);
    const img = image({
      layers: [busyboxLayer(), etc],
      config: { Env: ["PATH=/bin:/sbin", "MODE=image", "KEEP=kept"], Entrypoint: ["/bin/sh", "-c"], Cmd: ['echo "$MODE $KEEP $(id -u):$(id -g) $(pwd) $HOME"'], WorkingDir: "/srv", User: "app" },
    });
    writeLayout(join(work, "layout"), [{ tag: "1", name: `docker.io/${IMG}`, image: img }]);
    const r = await zoo(["load", "-i", join(work, "layout")]);
    if (r.code !== 0) throw new Error(`zoo load: ${r.stderr}`);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("the image config: entrypoint + cmd, env, workdir, user and its home", async () => {
    const r = await run([]);
    expect([r.stderr, r.stdout, r.code]).toEqual(["", "image kept 1000:1000 /srv /home/app\n", 0]);
  });

  test("-e and --env-file override the image's env; a bare KEY comes from zoo's environment", async () => {
    const envFile = join(work, "env");
    writeFileSync(envFile, "# comment\n\nMODE=file\nFROM_HOST\nSPACED=a b\n");
    const r = await zoo(["run", "--rm", "--network", "none", "--env-file", envFile, "-e", "KEEP=flag", IMG, 'echo "$MODE|$KEEP|$FROM_HOST|$SPACED"'], { FROM_HOST: "host-value" });
    expect([r.stderr, r.stdout]).toEqual(["", "file|flag|host-value|a b\n"]);
    const bad = await zoo(["run", "--rm", "--env-file", join(work, "missing"), IMG]);
    expect(bad.stderr).toMatch(/^zoo: run: --env-file .*missing: cannot read it \(ENOENT\)\n$/);
    expect(bad.code).toBe(125);
  });

  // busybox id lists only supplementary groups: those naming the user in
  // /etc/group, none when a group is given or the uid is not in /etc/passwd.
  test("-u by name, number, name:group and number:number; groups from /etc/group; unknown users refused", async () => {
    const id = (u: string) => run(["-u", u, "--entrypoint", "/usr/bin/id"]).then((r) => [r.stderr, r.stdout.trim()]);
    expect(await id("app")).toEqual(["", "uid=1000(app) gid=1000(app) groups=10(wheel),50(staff)"]);
    expect(await id("root")).toEqual(["", "uid=0(root) gid=0(root) groups=10(wheel)"]);
    expect(await id("app:staff")).toEqual(["", "uid=1000(app) gid=50(staff)"]);
    expect(await id("4242")).toEqual(["", "uid=4242 gid=0(root)"]);
    expect(await id("4242:4343")).toEqual(["", "uid=4242 gid=4343"]);
    const bad = await run(["-u", "nobody-here"]);
    expect(bad.stderr).toBe("zoo: unable to find user nobody-here: no matching entries in the image's /etc/passwd\n");
    expect(bad.code).toBe(125);
  });

  test("--entrypoint replaces the image's and drops its Cmd; -w (made if missing), -h and --name", async () => {
    const r = await run(["--entrypoint", "/bin/sh", "-w", "/new/dir", "-h", "web", "--name", "named"], ["-c", "pwd; hostname; ls -ld /new/dir | cut -c1-10"]);
    expect([r.stderr, r.stdout]).toEqual(["", "/new/dir\nweb\ndrwxr-xr-x\n"]);
    const ep = await run(["--entrypoint", "echo"]);
    expect(ep.stdout).toBe("\n");
  });

  test("-v SRC:DST[:ro] for directories and files, --tmpfs, --read-only", async () => {
    const vol = join(work, "vol");
    mkdirSync(vol, { recursive: true });
    writeFileSync(join(vol, "in"), "host data\n");
    writeFileSync(join(work, "single"), "one file\n");
    const r = await run(
      ["-u", "root", "--read-only", "-v", `${vol}:/data`, "-v", `${vol}:/ro:ro`, "-v", `${join(work, "single")}:/etc/single:ro`, "--tmpfs", "/scratch:size=1m,mode=1777"],
      ["cat /data/in /etc/single; echo out > /data/out; touch /ro/x 2>&1; touch /etc/x 2>&1; echo s > /scratch/s && cat /scratch/s; grep ' /scratch ' /proc/mounts | cut -d' ' -f3,4"],
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "host data\none file\ntouch: /ro/x: Read-only file system\ntouch: /etc/x: Read-only file system\ns\ntmpfs rw,nosuid,nodev,noexec,relatime,size=1024k\n",
    );
    expect(readFileSync(join(vol, "out"), "utf8")).toBe("out\n");
    const bad: [string[], RegExp][] = [
      [["-v", "relative:/x"], /named volumes are not supported; give an absolute host path/],
      [["-v", `${work}/nope:/x`], /does not exist on the host/],
      [["-v", `${vol}:/x:bogus`], /options are ro or rw/],
      [["--tmpfs", "rel"], /--tmpfs "rel": give an absolute path/],
      [["-v", `${vol}:/escape`], /the image has a symlink at \/escape: cannot mount \/escape there/],
      [["-v", `${vol}:/escape/sub`], /the image has a symlink at \/escape/],
    ];
    for (const [flags, re] of bad) {
      const b = await run(flags, ["true"]);
      expect(b.stderr).toMatch(re);
      expect(b.code).toBe(125);
    }
    expect(existsSync("/etc/sub")).toBe(false);
  });

  test("-m, --cpus and --pids-limit reach the container's cgroups", async () => {
    const p = Bun.spawn([ZOO, "run", "--rm", "--network", "none", "-m", "96m", "--cpus", "0.5", "--pids-limit", "33", IMG, "hostname; sleep 2"], {
      env: { ZOO_ROOT: t.store, PATH: process.env.PATH! },
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = p.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value).trim();
    const found = (ctrl: string) => findDir(`/sys/fs/cgroup/${ctrl}`, `zoo-${first}`, 6);
    const mem = found("memory");
    const cpu = found("cpu");
    const pids = found("pids");
    expect(mem && readFileSync(join(mem, "memory.limit_in_bytes"), "utf8").trim()).toBe(String(96 * 1024 * 1024));
    expect(cpu && readFileSync(join(cpu, "cpu.cfs_quota_us"), "utf8").trim()).toBe("50000");
    expect(pids && readFileSync(join(pids, "pids.max"), "utf8").trim()).toBe("33");
    await p.exited;
  }, 20_000);

  test("the contain lab's example: --name, -m 1024M, --cpus 1, --ip ADDR/24 picks the network with that subnet", async () => {
    const net = await zoo(["network", "create", "--subnet", "192.168.42.0/24", "zoo-test-lab"]);
    try {
      expect(net.code).toBe(0);
      const r = await zoo(["run", "--rm", "--name", "mycont", "-m", "1024M", "--cpus", "1", "--ip", "192.168.42.10/24", IMG, "ip -o -4 addr show eth0 | awk '{print $4}'; echo x > /srv/written; hostname"]);
      expect(r.stderr).toBe("");
      expect(r.stdout.split("\n")[0]).toBe("192.168.42.10/24");
      const again = await run([], ["ls /srv"]);
      expect(again.stdout).toBe("image-file\n");
    } finally {
      await zoo(["network", "rm", "zoo-test-lab"]);
    }
    const none = await zoo(["run", "--rm", "--ip", "192.168.43.10/24", IMG, "true"]);
    expect(none.stderr).toMatch(/no network has the subnet 192\.168\.43\.0\/24: create one once with zoo network create --subnet 192\.168\.43\.0\/24 NAME/);
  });

  test("an image of 80 layers runs (its lowerdirs go through short links)", async () => {
    const many = Array.from({ length: 79 }, (_, i) => layer([dir("many"), file(`many/f${i}`, `${i}\n`)], "gzip"));
    const layout = join(work, "many");
    writeLayout(layout, [{ tag: "1", name: "docker.io/zoo-test/many:1", image: image({ layers: [busyboxLayer(), ...many], config: { Cmd: ["sh", "-c", "ls /many | wc -l; cat /many/f78"] } }) }]);
    expect((await zoo(["load", "-q", "-i", layout])).code).toBe(0);
    const r = await zoo(["run", "--rm", "--network", "none", "zoo-test/many:1"]);
    expect([r.stderr, r.stdout]).toEqual(["", "79\n78\n"]);
    expect(readdirSync(join(t.store, "l")).length).toBeGreaterThanOrEqual(80);
  });

  test("overlay isolation: two containers do not see each other's writes, the image keeps none, nothing is left", async () => {
    const a = Bun.spawn([ZOO, "run", "--rm", "--network", "none", "-u", "root", IMG, "echo a > /srv/from-a; rm /srv/image-file; sleep 2; ls /srv"], {
      env: { ZOO_ROOT: t.store, PATH: process.env.PATH! },
      stdout: "pipe",
    });
    await Bun.sleep(700);
    const b = await run(["-u", "root"], ["ls /srv; echo b > /srv/from-b"]);
    expect(b.stdout).toBe("image-file\n");
    expect(await new Response(a.stdout).text()).toBe("from-a\n");
    await a.exited;
    expect(readdirSync(join(t.store, "containers"))).toEqual([]);
    for (const l of readdirSync(join(t.store, "layers"))) {
      expect(existsSync(join(t.store, "layers", l, "srv/from-a"))).toBe(false);
      expect(existsSync(join(t.store, "layers", l, "srv/from-b"))).toBe(false);
    }
    const layerWithFile = readdirSync(join(t.store, "layers")).find((l) => existsSync(join(t.store, "layers", l, "srv/image-file")));
    expect(layerWithFile).toBeDefined();
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(t.store);
  });
});

function findDir(root: string, name: string, depth: number): string | null {
  if (depth < 0) return null;
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return null;
  }
  for (const e of entries) {
    const p = join(root, e);
    if (!lstatSync(p, { throwIfNoEntry: false })?.isDirectory()) continue;
    if (e === name) return p;
    const r = findDir(p, name, depth - 1);
    if (r) return r;
  }
  return null;
}
