// podman driving zoo-runtime as its OCI runtime (`podman --runtime`), rootful:
// conmon calls create/start/state/kill/delete, passes a console socket for
// -t, and reaps the container's process itself. The image is made offline
// from the host's static busybox, in a private podman store (vfs: no mounts
// to leak), with no network so the host's is left alone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DIST, ensureTestUser, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, type LeakSnapshot, type TestUser } from "../../helpers/env.ts";
import { addedSince } from "../../helpers/zoo-runtime.ts";

const PODMAN = Bun.which("podman", { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" });
const IMAGE = "localhost/zoo-interop-busybox:latest";
// podman's default RLIMIT_NOFILE (1048576) is above this host's hard limit,
// which zoo-runtime refuses to raise without CAP_SYS_RESOURCE.
const ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"];
// Says "up", then waits for SIGTERM (podman stop) and leaves with 0.
const DETACHED_CMD = "trap 'echo got TERM; exit 0' TERM; echo up; while :; do sleep 0.1; done";

type Podman = (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;
async function waitForLog(podman: Podman, name: string, want: string) {
  for (let i = 0; i < 100; i++) {
    if ((await podman(["logs", name])).stdout === want) return;
    await Bun.sleep(50);
  }
  throw new Error(`${name} never logged ${JSON.stringify(want)}`);
}

/** The busybox image as a tar for `podman import`, root's passwd and group in it. */
function imageTar(dir: string): string {
  const rootfs = makeRootfs();
  writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(rootfs, "etc/group"), "root:x:0:\n");
  const tar = join(dir, "busybox.tar");
  const t = Bun.spawnSync(["tar", "-C", rootfs, "--numeric-owner", "--owner=0", "--group=0", "-cf", tar, "."]);
  if (t.exitCode !== 0) throw new Error(`tar: ${t.stderr}`);
  return tar;
}

describe.skipIf(!PODMAN || !IS_ROOT)("podman --runtime zoo-runtime (root)", () => {
  let work: string;
  let before: LeakSnapshot;
  const podman = (args: string[], o: { stdin?: string; timeoutMs?: number } = {}) =>
    run(
      [
        PODMAN!,
        "--root", join(work, "storage"),
        "--runroot", join(work, "run"),
        "--storage-driver", "vfs",
        "--events-backend", "file",
        "--cgroup-manager", "cgroupfs",
        "--runtime", join(DIST, "zoo-runtime"),
        ...args,
      ],
      { timeoutMs: 60_000, ...o },
    );
  const runArgs = ["run", "--rm", "--network", "none", ...ULIMITS];

  beforeAll(async () => {
    requireBuild();
    work = mkdtempSync("/var/tmp/zoo-podman-test-");
    before = leakSnapshot();
    const imp = await podman(["import", imageTar(work), IMAGE]);
    if (imp.code !== 0) throw new Error(`podman import: ${imp.stderr}`);
  }, 60_000);

  afterAll(async () => {
    await podman(["rm", "--all", "--force"]);
    await podman(["rmi", "--all", "--force"]);
    rmSync(work, { recursive: true, force: true });
    removeFixtures();
  }, 60_000);

  test("run --rm: output and exit code come through; nothing is left", async () => {
    const r = await podman([...runArgs, IMAGE, "echo", "hi"]);
    expect([r.code, r.stdout]).toEqual([0, "hi\n"]);
    const r7 = await podman([...runArgs, IMAGE, "sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect([r7.code, r7.stdout, r7.stderr]).toEqual([7, "out\n", "err\n"]);
    expect((await podman(["ps", "--all", "--quiet"])).stdout).toBe("");
    // Other sessions' containers come and go meanwhile: only what stays counts.
    const added = await addedSince(before, 10_000);
    expect([added.tmpdirs, added.mounts]).toEqual([[], []]);
  }, 60_000);

  // (No --blkio-weight: podman itself drops it where the host root has no blkio.weight, as here.)
  test("--device-read-bps and --device-write-iops reach the container's cgroup as linux.resources.blockIO", async () => {
    const name = readdirSync("/sys/block").find((b) => !/^(loop|zram|ram)/.test(b)) ?? readdirSync("/sys/block")[0]!;
    const dev = readFileSync(`/sys/block/${name}/dev`, "utf8").trim();
    const v1 = existsSync("/sys/fs/cgroup/blkio");
    const show = v1 ? "cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device" : "cat /sys/fs/cgroup/io.max";
    const r = await podman([...runArgs, "--device-read-bps", `/dev/${name}:1mb`, "--device-write-iops", `/dev/${name}:70`, IMAGE, "sh", "-c", show]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(v1 ? `${dev} 1048576\n${dev} 70\n` : `${dev} rbps=1048576 wbps=max riops=max wiops=70\n`);
  }, 60_000);

  test("run -d, exec, exec -it, logs, stop, rm: exec's exit code is the command's; stop's SIGTERM reaches the process", async () => {
    const d = await podman(["run", "-d", "--name", "det1", "--network", "none", ...ULIMITS, IMAGE, "sh", "-c", DETACHED_CMD]);
    expect(d.code).toBe(0);
    await waitForLog(podman, "det1", "up\n");
    const ex = await podman(["exec", "det1", "sh", "-c", "echo in-exec $(cat /proc/1/comm); exit 6"]);
    expect([ex.code, ex.stdout]).toEqual([6, "in-exec sh\n"]);
    // exec -it: conmon passes -t -d --console-socket; script(1) gives podman a terminal.
    const base = [PODMAN!, "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", "--events-backend", "file",
      "--cgroup-manager", "cgroupfs", "--runtime", join(DIST, "zoo-runtime")].join(" ");
    const it = Bun.spawn(["script", "-qec", `${base} exec -it det1 sh`, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const itOut = new Response(it.stdout).text();
    const timer = setTimeout(() => it.kill("SIGKILL"), 30_000);
    await Bun.sleep(2000);
    it.stdin.write("echo tty=$(tty); exit 7\n");
    it.stdin.end();
    await it.exited;
    clearTimeout(timer);
    expect((await itOut).replace(/\r/g, "")).toMatch(/^tty=\/dev\/pts\/\d+$/m);
    expect(it.exitCode).toBe(7);
    expect((await podman(["stop", "det1"])).code).toBe(0);
    expect((await podman(["logs", "det1"])).stdout).toBe("up\ngot TERM\n");
    expect((await podman(["inspect", "--format", "{{.State.ExitCode}}", "det1"])).stdout.trim()).toBe("0");
    expect((await podman(["rm", "det1"])).code).toBe(0);
    expect((await podman(["ps", "--all", "--quiet"])).stdout).toBe("");
  }, 60_000);

  test("run -it under a pty: the shell gets /dev/pts/N from the console socket, input reaches it", async () => {
    // script(1) gives podman a terminal; the input is typed in once the shell is up.
    const cmd = [PODMAN!, "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", "--events-backend", "file",
      "--cgroup-manager", "cgroupfs", "--runtime", join(DIST, "zoo-runtime"), ...runArgs, "-it", IMAGE, "sh"].join(" ");
    const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const out = new Response(p.stdout).text();
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    await Bun.sleep(3000);
    p.stdin.write("echo tty=$(tty)\n");
    await Bun.sleep(1000);
    p.stdin.write("exit 4\n");
    p.stdin.end();
    await p.exited;
    clearTimeout(timer);
    const text = (await out).replace(/\r/g, "");
    expect(text).toMatch(/^tty=\/dev\/pts\/\d+$/m);
    expect(p.exitCode).toBe(4);
    expect((await podman(["ps", "--all", "--quiet"])).stdout).toBe("");
  }, 60_000);
});

// Rootless: podman (as an unprivileged user with /etc/subuid ranges) runs
// zoo-runtime as root of its own user namespace, with XDG_RUNTIME_DIR set
// and no cgroup of the container's own; zoo-runtime keeps its state under
// $XDG_RUNTIME_DIR/zoo-runtime as runc does. Private storage, HOME and
// runtime dir in a temp dir; no network.
describe.skipIf(!PODMAN || !IS_ROOT || !Bun.which("newuidmap", { PATH: "/usr/bin:/bin" }))("podman --runtime zoo-runtime (rootless)", () => {
  let work: string;
  let user: TestUser;
  let before: LeakSnapshot;
  const podman: Podman = (args) =>
    run(
      [PODMAN!, "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", "--events-backend", "file",
        "--cgroup-manager", "cgroupfs", "--runtime", join(DIST, "zoo-runtime"), ...args],
      { asUser: user, env: { HOME: work, XDG_RUNTIME_DIR: join(work, "xdg") }, timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    requireBuild();
    user = ensureTestUser();
    work = mkdtempSync("/var/tmp/zoo-podman-rootless-");
    chownSync(work, user.uid, user.gid);
    mkdirSync(join(work, "xdg"), { mode: 0o700 });
    chownSync(join(work, "xdg"), user.uid, user.gid);
    before = leakSnapshot();
    const tar = imageTar(work);
    chownSync(tar, user.uid, user.gid);
    const imp = await podman(["import", tar, IMAGE]);
    if (imp.code !== 0) throw new Error(`podman import (rootless): ${imp.stderr}`);
  }, 60_000);

  afterAll(async () => {
    await podman(["rm", "--all", "--force"]);
    // podman's pause process holds the user namespace open for later commands.
    const pause = join(work, "xdg/libpod/tmp/pause.pid");
    if (existsSync(pause)) {
      try {
        process.kill(Number(readFileSync(pause, "utf8")), "SIGKILL");
      } catch {}
    }
    rmSync(work, { recursive: true, force: true });
    removeFixtures();
  }, 60_000);

  test("run --rm: root inside is the user outside; output and exit code come through", async () => {
    const r = await podman(["run", "--rm", "--network", "none", IMAGE, "sh", "-c", "id -u; head -1 /proc/self/uid_map; ls /sys/fs/cgroup >/dev/null && echo cg; exit 3"]);
    const [uid, map, cg] = r.stdout.trim().split("\n");
    expect([r.code, uid, cg]).toEqual([3, "0", "cg"]);
    expect(map!.trim().split(/\s+/)).toEqual(["0", String(user.uid), "1"]);
    // zoo-runtime's state went to the user's runtime dir, and is gone again.
    expect(existsSync(join(work, "xdg/zoo-runtime"))).toBe(true);
  }, 60_000);

  test("run -d, exec, logs, stop, rm", async () => {
    expect((await podman(["run", "-d", "--name", "rl1", "--network", "none", IMAGE, "sh", "-c", DETACHED_CMD])).code).toBe(0);
    await waitForLog(podman, "rl1", "up\n");
    const ex = await podman(["exec", "rl1", "sh", "-c", "echo in-exec $(id -u); exit 6"]);
    expect([ex.code, ex.stdout]).toEqual([6, "in-exec 0\n"]);
    expect((await podman(["stop", "rl1"])).code).toBe(0);
    expect((await podman(["logs", "rl1"])).stdout).toBe("up\ngot TERM\n");
    expect((await podman(["rm", "rl1"])).code).toBe(0);
    expect((await podman(["ps", "--all", "--quiet"])).stdout).toBe("");
    const added = await addedSince(before, 10_000);
    expect([added.tmpdirs, added.mounts]).toEqual([[], []]);
  }, 60_000);
});
