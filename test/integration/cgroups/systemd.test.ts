// The systemd cgroup manager on a real systemd host (the VM: `npm run vm`,
// docs/design/vm.md): root gets scopes under zoo.slice from the system
// manager, any other user a delegated scope from its own user manager. Runs
// as whoever runs it; skipped where systemd does not run the machine.
import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemdBooted } from "../../../src/cgroups/systemd/index.ts";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import { DIST, expectNoLeaks, IS_ROOT, leakSnapshot, run, useRootfs, ZOO, ZOOKEEPER } from "../../helpers/env.ts";
import { containerPid } from "../../helpers/procs.ts";

const uid = process.geteuid!();
const onSystemd = systemdBooted();
// Emulated guests start a bun executable in seconds, not milliseconds.
const SLOW = 240_000;

const v2Path = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n").find((l) => l.startsWith("0::"))!.slice(3);
/** Where a scope of ours lands: zoo.slice for root, somewhere below the user's own manager otherwise. */
const scopeRe = (unit: string) =>
  IS_ROOT ? new RegExp(`^/zoo\\.slice/${unit}$`) : new RegExp(`^/user\\.slice/user-${uid}\\.slice/user@${uid}\\.service(/[^/]+)*/${unit}$`);

async function waitGone(dir: string): Promise<boolean> {
  for (let i = 0; i < 200 && existsSync(dir); i++) await Bun.sleep(50);
  return !existsSync(dir);
}

describe("--cgroup-manager systemd where systemd cannot be reached", () => {
  test("one line, exit 125, nothing left", async () => {
    const before = leakSnapshot();
    const env = { ZOO_CGROUP_MANAGER: "systemd", DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/nonexistent/bus", DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" };
    const r = await run([ZOOKEEPER, "-p", "10", "/bin/true"], { env, timeoutMs: SLOW });
    expect(r.code).toBe(125);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    // Pure v2 hosts get as far as the bus; hybrid ones (CI) are refused first.
    expect(r.stderr).toMatch(onSystemd ? /^zookeeper: cannot reach systemd through .*\/nonexistent\/bus.*--cgroup-manager cgroupfs\n$/ : /^zookeeper: the systemd cgroup manager needs a pure cgroup v2 host; use --cgroup-manager cgroupfs\n$/);
    expect(await expectNoLeaks(before)).toEqual(before);
  }, SLOW);
});

describe.skipIf(!onSystemd)(`systemd cgroup manager (${IS_ROOT ? "rootful, system manager" : `rootless, user manager of uid ${uid}`})`, () => {
  const rootfs = useRootfs({ timeoutMs: SLOW });

  const zk = (args: string[]) => run([ZOOKEEPER, "--cgroup-manager", "systemd", ...args], { timeoutMs: SLOW });

  test("zookeeper's container cgroup is zoo-<pid> in its delegated zookeeper-<pid>.scope, with the limits; the scope goes when it exits", async () => {
    const p = Bun.spawn([ZOOKEEPER, "--cgroup-manager", "systemd", "-r", rootfs.fs, "-m", "48m", "-p", "20", "-c", "30", "/bin/sleep", "1000"], { stdout: "ignore", stderr: "pipe" });
    const pid = await containerPid(p.pid, SLOW);
    const unit = `zookeeper-${p.pid}.scope`;
    const path = v2Path(pid);
    let scopeDir = "";
    try {
      const scope = path.slice(0, path.lastIndexOf("/"));
      scopeDir = `/sys/fs/cgroup${scope}`;
      expect(path.endsWith(`/zoo-${pid}`)).toBe(true);
      expect(scope).toMatch(scopeRe(unit));
      // zookeeper itself left the scope's own cgroup for a leaf, so the scope can hand controllers down.
      expect(v2Path(p.pid)).toBe(`${scope}/supervisor`);
      const dir = `/sys/fs/cgroup${path}`;
      const file = (f: string) => readFileSync(`${dir}/${f}`, "utf8").trim();
      expect([file("memory.max"), file("pids.max"), file("cpu.max")]).toEqual([String(48 * 1024 * 1024), "20", "30000 100000"]);
    } finally {
      process.kill(pid, "SIGKILL");
      await p.exited;
    }
    expect(p.signalCode).toBe("SIGKILL");
    expect(await waitGone(scopeDir)).toBe(true);
  }, SLOW);

  test("inside, the cgroup namespace shows the container's cgroup as /", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "-p", "50", "/bin/cat", "/proc/self/cgroup"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "0::/\n", ""]);
  }, SLOW);

  test("writing past -m gets the process OOM-killed and reported", async () => {
    const r = await zk(["-r", rootfs.fs, "-m", "32m", "/bin/probe", "alloc", "256"]);
    expect(r.signal).toBe("SIGKILL");
    expect(r.stdout).not.toContain("allocated all");
    expect(r.stderr).toContain("ran out of memory");
  }, SLOW);

  test("forking past -p fails", async () => {
    const r = await zk(["-r", rootfs.fs, "-p", "8", "/bin/sh", "-c", "for i in $(seq 20); do sleep 1 & done 2>&1; wait; echo done"]);
    expect(r.stdout + r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  }, SLOW);

  test("a busy loop under -c 20 gets about 20% of a CPU", async () => {
    const p = Bun.spawn([ZOOKEEPER, "--cgroup-manager", "systemd", "-r", rootfs.fs, "-c", "20", "/bin/sh", "-c", "while :; do :; done"], { stdout: "ignore" });
    const pid = await containerPid(p.pid, SLOW);
    const stat = `/sys/fs/cgroup${v2Path(pid)}/cpu.stat`;
    const usage = () => Number(/usage_usec (\d+)/.exec(readFileSync(stat, "utf8"))![1]) * 1000;
    try {
      await Bun.sleep(500);
      const u0 = usage();
      const t0 = performance.now();
      await Bun.sleep(3000);
      const share = (usage() - u0) / ((performance.now() - t0) * 1e6);
      expect(share).toBeGreaterThan(0.1);
      expect(share).toBeLessThan(0.3);
    } finally {
      process.kill(pid, "SIGKILL");
      await p.exited;
    }
  }, SLOW);

  test.skipIf(!IS_ROOT)("zoo run: cloned straight into its cgroup (CLONE_INTO_CGROUP) in zoo-<id>.scope, limits applied", async () => {
    const store = mkdtempSync("/var/tmp/zoo-test-store-");
    const p = Bun.spawn([ZOO, "--cgroup-manager", "systemd", "run", "--rm", "--network", "none", "--pids-limit", "12", "-m", "40m", "busybox", "sleep", "1000"], {
      env: { PATH: process.env.PATH, ZOO_ROOT: store },
      stdout: "ignore",
    });
    try {
      const pid = await containerPid(p.pid, SLOW);
      const path = v2Path(pid);
      expect(path).toMatch(/^\/zoo\.slice\/zoo-[0-9a-f]{12}\.scope\/zoo-[0-9a-f]{12}$/);
      const file = (f: string) => readFileSync(`/sys/fs/cgroup${path}/${f}`, "utf8").trim();
      expect([file("pids.max"), file("memory.max")]).toEqual(["12", String(40 * 1024 * 1024)]);
      process.kill(pid, "SIGKILL");
      await p.exited;
      expect(await waitGone(`/sys/fs/cgroup${path.slice(0, path.lastIndexOf("/"))}`)).toBe(true);
    } catch (e) {
      rmSync(store, { recursive: true, force: true });
      throw e;
    } finally {
      p.kill("SIGKILL");
      await p.exited;
    }
    const inside = await run([ZOO, "--cgroup-manager", "systemd", "run", "--rm", "--network", "none", "--pids-limit", "12", "busybox", "cat", "/proc/self/cgroup"], {
      env: { ZOO_ROOT: store },
      timeoutMs: SLOW,
    }).finally(() => rmSync(store, { recursive: true, force: true }));
    expect([inside.code, inside.stdout, inside.stderr]).toEqual([0, "0::/\n", ""]);
  }, SLOW);

  test.skipIf(!IS_ROOT)("zoo-runtime --systemd-cgroup: cgroupsPath slice:prefix:name is the scope; delete removes it", async () => {
    const work = mkdtempSync("/var/tmp/zoo-runtime-test-");
    const root = join(work, "state");
    const id = `sd${process.pid}`;
    const rt = (args: string[]) => run([join(DIST, "zoo-runtime"), "--systemd-cgroup", "--root", root, ...args], { timeoutMs: SLOW });
    try {
      const bundle = join(work, "b");
      mkdirSync(bundle);
      const spec = defaultSpec({ rootless: false, uid: 0, gid: 0 });
      spec.root = { path: rootfs.fs, readonly: true };
      spec.process!.args = ["/bin/sleep", "1000"];
      spec.linux!.cgroupsPath = `zoo.slice:zoo-test:${id}`;
      spec.linux!.resources = { pids: { limit: 9 } };
      writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
      // The container inherits create's stdio: a pipe would never reach EOF while it runs.
      const log = join(work, "create.log");
      const fd = openSync(log, "w");
      const c = Bun.spawn([join(DIST, "zoo-runtime"), "--systemd-cgroup", "--root", root, "create", "-b", bundle, id], { stdio: ["ignore", fd, fd] });
      await c.exited;
      closeSync(fd);
      expect([c.exitCode, readFileSync(log, "utf8")]).toEqual([0, ""]);
      const state = JSON.parse((await rt(["state", id])).stdout);
      const scopeDir = `/sys/fs/cgroup/zoo.slice/zoo-test-${id}.scope`;
      expect(v2Path(state.pid)).toBe(`/zoo.slice/zoo-test-${id}.scope/container`);
      expect(readFileSync(`${scopeDir}/container/pids.max`, "utf8").trim()).toBe("9");
      expect((await rt(["delete", "--force", id])).code).toBe(0);
      expect(await waitGone(scopeDir)).toBe(true);
    } finally {
      await rt(["delete", "--force", id]);
      rmSync(work, { recursive: true, force: true });
    }
  }, SLOW);
});
