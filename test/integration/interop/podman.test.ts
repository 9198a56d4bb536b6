// podman driving zoo-runtime as its OCI runtime (`podman --runtime`), rootful:
// conmon calls create/start/state/kill/delete, passes a console socket for
// -t, and reaps the container's process itself. The image is made offline
// from the host's static busybox, in a private podman store (vfs: no mounts
// to leak), with no network so the host's is left alone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DIST, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, type LeakSnapshot } from "../../helpers/env.ts";

const PODMAN = Bun.which("podman", { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" });
const IMAGE = "localhost/zoo-interop-busybox:latest";
// podman's default RLIMIT_NOFILE (1048576) is above this host's hard limit,
// which zoo-runtime refuses to raise without CAP_SYS_RESOURCE.
const ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"];

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
    const rootfs = makeRootfs();
    writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    writeFileSync(join(rootfs, "etc/group"), "root:x:0:\n");
    const tar = join(work, "busybox.tar");
    const t = Bun.spawnSync(["tar", "-C", rootfs, "-cf", tar, "."]);
    if (t.exitCode !== 0) throw new Error(`tar: ${t.stderr}`);
    const imp = await podman(["import", tar, IMAGE]);
    if (imp.code !== 0) throw new Error(`podman import: ${imp.stderr}`);
  });

  afterAll(async () => {
    await podman(["rm", "--all", "--force"]);
    await podman(["rmi", "--all", "--force"]);
    rmSync(work, { recursive: true, force: true });
    removeFixtures();
  });

  test("run --rm: output and exit code come through; nothing is left", async () => {
    const r = await podman([...runArgs, IMAGE, "echo", "hi"]);
    expect([r.code, r.stdout]).toEqual([0, "hi\n"]);
    const r7 = await podman([...runArgs, IMAGE, "sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect([r7.code, r7.stdout, r7.stderr]).toEqual([7, "out\n", "err\n"]);
    expect((await podman(["ps", "--all", "--quiet"])).stdout).toBe("");
    const now = leakSnapshot();
    expect(now.tmpdirs.filter((d) => !before.tmpdirs.includes(d))).toEqual([]);
    expect(now.mounts.filter((m) => !before.mounts.includes(m))).toEqual([]);
  });

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
  });
});
