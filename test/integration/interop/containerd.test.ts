// containerd driving zoo-runtime through its runc v2 shim (`ctr ... --runc-binary`):
// the shim calls create (--pid-file, --log --log-format json), start, state,
// kill, delete, exec --process --detach --pid-file, pause/resume, and as a
// subreaper reaps the container's processes itself. A private containerd
// (its own root, state and socket in a temp dir, a test-only namespace) keeps
// clear of any other on the host; the image is an OCI archive built here
// from the host's static busybox and imported with `ctr image import`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, openSync, closeSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { DIST, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, type LeakSnapshot } from "../../helpers/env.ts";
import { ociArchive } from "../../helpers/oci-archive.ts";
import { addedSince } from "../../helpers/zoo-runtime.ts";

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const CONTAINERD = Bun.which("containerd", { PATH });
const CTR = Bun.which("ctr", { PATH });
const SHIM = Bun.which("containerd-shim-runc-v2", { PATH });
const RUNTIME = join(DIST, "zoo-runtime");
const IMAGE = "docker.io/zoo/busybox:test";
// The runc shim keeps the runtime's state in /run/containerd/runc/<namespace>.
const runtimeRoot = (ns: string) => `/run/containerd/runc/${ns}`;

describe.skipIf(!CONTAINERD || !CTR || !SHIM || !IS_ROOT)("containerd (ctr --runc-binary zoo-runtime)", () => {
  let work: string;
  let ns: string;
  let daemon: ReturnType<typeof Bun.spawn>;
  let before: LeakSnapshot;
  const ctr = (args: string[], o: { timeoutMs?: number } = {}) =>
    run([CTR!, "--address", join(work, "containerd.sock"), "--namespace", ns, ...args], { timeoutMs: 60_000, ...o });
  const runFlags = () => ["--snapshotter", "native", "--runc-binary", RUNTIME];

  beforeAll(async () => {
    requireBuild();
    work = mkdtempSync("/var/tmp/zoo-containerd-test-");
    ns = `zoo-test-${basename(work).split("-").pop()!.toLowerCase()}`;
    before = leakSnapshot();
    writeFileSync(
      join(work, "config.toml"),
      [
        "version = 2",
        `root = "${work}/root"`,
        `state = "${work}/state"`,
        // Nothing but what ctr run needs: no CRI, no snapshotters that probe the host.
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
        '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",',
        '  "io.containerd.tracing.processor.v1.otlp"]',
        "[grpc]",
        `  address = "${work}/containerd.sock"`,
        "[ttrpc]",
        `  address = "${work}/containerd.sock.ttrpc"`,
        "[debug]",
        '  address = ""',
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${work}/opt"`,
      ].join("\n"),
    );
    const log = openSync(join(work, "containerd.log"), "w");
    daemon = Bun.spawn([CONTAINERD!, "--config", join(work, "config.toml")], { stdio: ["ignore", log, log], env: { PATH } });
    closeSync(log);
    for (let i = 0; i < 200 && (await ctr(["version"])).code !== 0; i++) await Bun.sleep(50);
    const archive = join(work, "busybox.oci.tar");
    ociArchive(makeRootfs(), IMAGE, archive);
    const imp = await ctr(["image", "import", "--snapshotter", "native", archive]);
    if (imp.code !== 0) throw new Error(`ctr image import: ${imp.stderr}`);
  }, 60_000);

  afterAll(async () => {
    for (const id of (await ctr(["task", "ls", "--quiet"])).stdout.split("\n").filter(Boolean)) await ctr(["task", "rm", "--force", id]);
    for (const id of (await ctr(["container", "ls", "--quiet"])).stdout.split("\n").filter(Boolean)) await ctr(["container", "rm", id]);
    daemon.kill("SIGTERM");
    await daemon.exited;
    // The shim names cgroups /<namespace>/<id>; the parents are ours to remove (empty by now).
    for (const ctl of readdirSync("/sys/fs/cgroup")) {
      try {
        rmdirSync(join("/sys/fs/cgroup", ctl, ns));
      } catch {}
    }
    // Empty unless a test failed half way; then what is left is for a human to see.
    try {
      rmdirSync(runtimeRoot(ns));
    } catch {}
    rmSync(work, { recursive: true, force: true });
    removeFixtures();
  }, 60_000);

  test("ctr run --rm: output and exit code come through", async () => {
    const r = await ctr(["run", "--rm", ...runFlags(), IMAGE, "run1", "sh", "-c", "echo hi; echo err >&2; exit 3"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([3, "hi\n", "err\n"]);
    expect((await ctr(["container", "ls", "--quiet"])).stdout).toBe("");
  }, 60_000);

  test("a missing command fails create with the reason, and leaves nothing", async () => {
    const r = await ctr(["run", "--rm", ...runFlags(), IMAGE, "run2", "/no/such/cmd"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("OCI runtime create failed: cannot run /no/such/cmd");
    expect((await ctr(["container", "ls", "--quiet"])).stdout).toBe("");
    expect(readdirSync(runtimeRoot(ns))).toEqual([]);
  }, 60_000);

  test("run, task exec, ps, pause/resume, kill: zoo-runtime runs the container and the shim sees every exit", async () => {
    const id = "task1";
    const cmd = ["sh", "-c", "trap 'echo got TERM; exit 42' TERM; echo up; while :; do sleep 0.1; done"];
    // `ctr run` in the foreground waits for the task and exits with its code.
    const started = ctr(["run", "--rm", ...runFlags(), IMAGE, id, ...cmd]);
    let up = false;
    for (let i = 0; i < 200 && !up; i++) {
      await Bun.sleep(50);
      up = (await ctr(["task", "ls"])).stdout.includes("RUNNING");
    }
    expect(up).toBe(true);
    // The runtime behind the shim is ours: its state is in zoo-runtime's format.
    const st = await run([RUNTIME, "--root", runtimeRoot(ns), "state", id]);
    expect(JSON.parse(st.stdout)).toMatchObject({ id, status: "running" });

    const ex = await ctr(["task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in-exec $(cat /proc/1/comm); exit 5"], { timeoutMs: 20_000 });
    expect([ex.code, ex.stdout]).toEqual([5, "in-exec sh\n"]);
    const ps = await ctr(["task", "ps", id]);
    expect(ps.stdout).toContain(String(JSON.parse(st.stdout).pid));

    expect((await ctr(["task", "pause", id])).code).toBe(0);
    expect((await ctr(["task", "ls"])).stdout).toContain("PAUSED");
    expect((await ctr(["task", "resume", id])).code).toBe(0);

    expect((await ctr(["task", "kill", id])).code).toBe(0);
    const r = await started;
    expect([r.code, r.stdout]).toEqual([42, "up\ngot TERM\n"]);
    expect((await ctr(["container", "ls", "--quiet"])).stdout).toBe("");
    expect(readdirSync(runtimeRoot(ns))).toEqual([]);
  }, 60_000);

  test("nothing is left on the host", async () => {
    // Other sessions' containers come and go meanwhile: only what stays counts.
    expect(await addedSince(before, 10_000)).toEqual({ mounts: [], cgroups: [], tmpdirs: [] });
    const mine = Bun.spawnSync(["pgrep", "-f", `${DIST}/zoo-shim|-namespace ${ns} `]).stdout.toString().trim();
    expect(mine === "" ? [] : mine.split("\n").filter((p) => Number(p) !== daemon.pid)).toEqual([]);
  }, 60_000);
});
