// zookeeper as an unprivileged user with /etc/subuid and /etc/subgid ranges.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { childrenOf, comm } from "../../helpers/procs.ts";
import { join } from "node:path";
import { RUNUSER, ensureTestUser, expectNoLeaks, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, ZOOKEEPER, type LeakSnapshot, type TestUser } from "../../helpers/env.ts";

const DELEGATED = ["memory", "cpu", "cpuacct", "pids"];

/** What an admin does to delegate a cgroup subtree to a user (README "Rootless cgroups"). */
function delegate(user: TestUser): string[] {
  const name = `zoo-deleg-${user.uid}`;
  const made: string[] = [];
  for (const line of readFileSync("/proc/self/cgroup", "utf8").trim().split("\n")) {
    const [, ctrls, path] = line.split(":");
    const c = ctrls!.split(",").find((x) => DELEGATED.includes(x));
    if (!c) continue;
    const dir = join("/sys/fs/cgroup", c, path!, name);
    if (!existsSync(dir)) mkdirSync(dir);
    for (const f of ["", "cgroup.procs", "tasks"]) chownSync(join(dir, f), user.uid, user.gid);
    made.push(dir);
  }
  return made;
}

describe.skipIf(!IS_ROOT)("zookeeper (rootless)", () => {
  let user: TestUser;
  let fs: string;
  let delegated: string[] = [];
  let before: LeakSnapshot;
  beforeAll(() => {
    requireBuild();
    user = ensureTestUser();
    fs = makeRootfs(user);
    before = leakSnapshot();
  });
  afterEach(async () => expect(await expectNoLeaks(before)).toEqual(before));
  afterAll(() => {
    for (const d of delegated.reverse()) {
      for (const sub of readdirSync(d)) if (sub.startsWith("zoo-") && statSync(join(d, sub)).isDirectory()) rmdirSync(join(d, sub));
      rmdirSync(d);
    }
    removeFixtures();
  });

  const zk = (args: string[], env: Record<string, string> = {}) => run([ZOOKEEPER, ...args], { asUser: user, env });

  test("root inside is the caller outside; subordinate ids are mapped from /etc/subuid", async () => {
    const r = await zk(["-r", fs, "-P", "/bin/sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map"]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().replace(/\s+/g, " "));
    expect(lines).toEqual(["0", `0 ${user.uid} 1`, `1 ${user.subuid} 65536`, `0 ${user.gid} 1`, `1 ${user.subgid} 65536`]);
  });

  test("a file chowned to uid 1000 inside belongs to subuid start + 999 outside", async () => {
    const r = await zk(["-r", fs, "/bin/sh", "-c", "touch /tmp/owned && chown 1000:1000 /tmp/owned && ls -n /tmp/owned"]);
    expect(r.code).toBe(0);
    const st = statSync(join(fs, "tmp/owned"));
    expect(st.uid).toBe(user.subuid + 999);
    expect(st.gid).toBe(user.subgid + 999);
  });

  test("hostname, PID 1, seccomp and exit codes work the same rootless", async () => {
    const r = await zk(["-r", fs, "-P", "/bin/sh", "-c", "hostname; echo $$; /bin/probe seccomp | grep -E '^(chmod_suid|unshare_user|getpid)='; exit 7"]);
    expect(r.stdout).toBe("zoo\n1\nchmod_suid=EPERM\nunshare_user=EPERM\ngetpid=ok\n");
    expect(r.code).toBe(7);
  });

  test("zookeeper killed in the middle of setup leaves no container and no temp dir", async () => {
    // A newuidmap that takes its time holds zookeeper between CHILD_PID and GO.
    const bin = mkdtempSync("/var/tmp/zoo-test-slowbin-");
    writeFileSync(join(bin, "newuidmap"), '#!/bin/sh\nsleep 3\nexec /usr/bin/newuidmap "$@"\n', { mode: 0o755 });
    chmodSync(bin, 0o755);
    const argv = [RUNUSER(), "-u", user.name, "--", "env", `PATH=${bin}:/usr/bin:/bin`, `HOME=${user.home}`, ZOOKEEPER, "-r", fs, "/bin/sleep", "100"];
    const p = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" });
    let zk = 0;
    for (let i = 0; i < 100 && !zk; i++) {
      await Bun.sleep(20);
      zk = childrenOf(p.pid).find((c) => childrenOf(c).some((g) => comm(g) === "zoo-shim")) ?? 0;
    }
    expect(zk).toBeGreaterThan(0);
    await Bun.sleep(300);
    process.kill(zk, "SIGKILL");
    await p.exited;
    for (let i = 0; i < 100 && readdirSync("/tmp").some((e) => e.startsWith("zoo.")); i++) await Bun.sleep(20);
    expect(Bun.spawnSync(["pgrep", "-x", "zoo-init"]).stdout.toString()).toBe("");
    rmSync(bin, { recursive: true, force: true });
    // afterEach: no /tmp/zoo.* dir, cgroup or mount left.
  });

  test("asking for a limit with nothing delegated fails clearly and leaves nothing", async () => {
    const r = await zk(["-r", fs, "-m", "64m", "/bin/true"]);
    expect(r.code).toBe(125);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/memory limit.*not writable by uid \d+.*delegate/);
  });

  test("limits work in a cgroup an admin delegated (ZOO_CGROUP_PARENT)", async () => {
    delegated = delegate(user);
    const env = { ZOO_CGROUP_PARENT: `zoo-deleg-${user.uid}` };
    const oom = await zk(["-r", fs, "-m", "32m", "/bin/probe", "alloc", "256"], env);
    // runuser reports its child's signal death as 128 + signal.
    expect(oom.code ?? 128 + 9).toBe(128 + 9);
    expect(oom.stderr).toContain("ran out of memory");
    const pids = await zk(["-r", fs, "-p", "8", "/bin/sh", "-c", "for i in $(seq 20); do sleep 1 & done 2>&1; wait"], env);
    expect(pids.stdout + pids.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    const inside = await zk(["-r", fs, "-P", "-p", "50", "/bin/cat", "/proc/self/cgroup"], env);
    expect(inside.stdout).toMatch(/pids:\/\n/);
  });
});
