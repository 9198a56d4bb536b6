// zookeeper as root: every part of the assignment, checked from inside real containers.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { ZOOKEEPER_DROPPED_CAPS } from "../../../src/frontends/zookeeper-spec.ts";
import { capBit } from "../../../src/oci/caps.ts";
import { IS_ROOT, run, useRootfs, ZOOKEEPER } from "../../helpers/env.ts";
import { cgroupOf, containerPid } from "../../helpers/procs.ts";
import { systemdBooted } from "../../../src/cgroups/systemd/index.ts";

describe.skipIf(!IS_ROOT)("zookeeper (root)", () => {
  const rootfs = useRootfs();

  const zk = (args: string[], o = {}) => run([ZOOKEEPER, ...args], o);

  test("root inside is root outside, with ids 0-65535 mapped to themselves", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "/bin/sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").map((l) => l.trim().replace(/\s+/g, " "))).toEqual(["0", "0", "0 0 65536", "0 0 65536", ""]);
    expect(r.code).toBe(0);
  });

  test("hostname is zoo", async () => {
    const r = await zk(["-r", rootfs.fs, "/bin/hostname"]);
    expect(r.stdout).toBe("zoo\n");
  });

  test("the command is PID 1 and /proc lists only the container's processes", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "/bin/sh", "-c", "echo $$; ls /proc | grep -E '^[0-9]+$'"]);
    const [self, ...pids] = r.stdout.trim().split("\n").map(Number);
    expect(self).toBe(1);
    expect(pids).toContain(1);
    expect(Math.max(...pids)).toBeLessThan(10); // sh, ls, grep: nothing of the host's
  });

  test("the host's filesystem is gone after pivot_root", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "/bin/sh", "-c", "ls /bin/probe; test -e /etc/debian_version && echo HOST; cat /proc/self/mountinfo"]);
    const [first, ...mountinfo] = r.stdout.trim().split("\n");
    expect(first).toBe("/bin/probe");
    expect(r.stdout).not.toContain("HOST");
    // Only the container's own mounts remain: one root (the bind-mounted rootfs), nothing at the temp dir.
    const points = mountinfo.map((l) => l.split(" ")[4]);
    expect(points.filter((p) => p === "/")).toHaveLength(1);
    expect(points.every((p) => p === "/" || p!.startsWith("/proc") || p!.startsWith("/dev"))).toBe(true);
    expect(r.code).toBe(0);
  });

  test("without -P there is no /proc; without -r the host view stays", async () => {
    expect((await zk(["-r", rootfs.fs, "/bin/ls", "/proc"])).stdout).toBe("");
    const host = await zk(["/bin/sh", "-c", "test -e /etc/debian_version && echo host-view; hostname"]);
    expect(host.stdout).toBe("host-view\nzoo\n");
  });

  test("a minimal /dev: null, zero, full, random, urandom, tty, pts, shm", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "/bin/sh", "-c", "ls /dev; echo x > /dev/null && head -c 4 /dev/zero | wc -c; ls /dev/pts"]);
    for (const d of ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "ptmx"]) expect(r.stdout).toContain(d);
    expect(r.stdout).toContain("4\n");
    expect(r.code).toBe(0);
  });

  test("every dropped capability is missing from the bounding set", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "/bin/sh", "-c", "grep -E '^Cap(Bnd|Eff|Inh|Amb)' /proc/self/status"]);
    const caps = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(/:\s+/)).map(([k, v]) => [k, BigInt("0x" + v)]));
    for (const name of ZOOKEEPER_DROPPED_CAPS) {
      expect(caps.CapBnd! & capBit(name)!).toBe(0n);
      expect(caps.CapEff! & capBit(name)!).toBe(0n);
    }
    expect(caps.CapBnd! & capBit("CAP_CHOWN")!).not.toBe(0n);
    expect(caps.CapEff).toBe(caps.CapBnd!);
    expect(caps.CapInh).toBe(0n);
    expect(caps.CapAmb).toBe(0n);
  });

  test("every seccomp rule answers EPERM (clone3 ENOSYS) while ordinary syscalls work", async () => {
    const r = await zk(["-r", rootfs.fs, "/bin/probe", "seccomp"]);
    const got = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("=")));
    for (const k of ["chmod_suid", "chmod_sgid", "fchmodat_suid", "fchmod_sgid", "unshare_user", "clone_user", "ioctl_tiocsti", "ioctl_tiocsti_hi",
      "keyctl", "add_key", "request_key", "ptrace", "mbind", "migrate_pages", "move_pages", "set_mempolicy", "userfaultfd", "perf_event_open"]) {
      expect(`${k}=${got[k]}`).toBe(`${k}=EPERM`);
    }
    expect(got.clone3).toBe("ENOSYS");
    for (const k of ["chmod_plain", "fchmodat_plain", "fchmod_plain", "getpid", "mkdir"]) expect(`${k}=${got[k]}`).toBe(`${k}=ok`);
  });

  test("ZOOKEEPER_SECCOMP=unconfined turns the filter off (the README experiment's 'before')", async () => {
    const cmd = ["-r", rootfs.fs, "/bin/sh", "-c", "touch /tmp/f && chmod u+s /tmp/f && ls -l /tmp/f"];
    const before = await zk(cmd, { env: { ZOOKEEPER_SECCOMP: "unconfined" } });
    expect(before.stdout).toMatch(/^-rwS/);
    const after = await zk(cmd);
    expect(after.stderr).toContain("Operation not permitted");
    expect(after.code).not.toBe(0);
    const bad = await zk(cmd, { env: { ZOOKEEPER_SECCOMP: "off" } });
    expect(bad.stderr).toBe('zookeeper: ZOOKEEPER_SECCOMP="off": use "default" or "unconfined"\n');
    expect(bad.code).toBe(125);
  });

  test("/proc/self/cgroup shows / inside (cgroup namespace entered after the move)", async () => {
    const r = await zk(["-r", rootfs.fs, "-P", "-p", "50", "/bin/cat", "/proc/self/cgroup"]);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.split(":")[2]).toBe("/");
  });

  test("exit code passes through", async () => {
    expect((await zk(["-r", rootfs.fs, "/bin/sh", "-c", "exit 42"])).code).toBe(42);
    expect((await zk(["-r", rootfs.fs, "/bin/true"])).code).toBe(0);
  });

  test("a container SIGKILLed from outside makes zookeeper die by SIGKILL", async () => {
    const p = Bun.spawn([ZOOKEEPER, "-r", rootfs.fs, "-p", "20", "/bin/sleep", "100"], { stdout: "ignore", stderr: "pipe" });
    const pid = await containerPid(p.pid);
    process.kill(pid, "SIGKILL");
    await p.exited;
    expect(p.signalCode).toBe("SIGKILL");
  });

  test("zookeeper SIGKILLed mid-run: the shim kills the container and removes its cgroups and temp dir", async () => {
    const p = Bun.spawn([ZOOKEEPER, "-r", rootfs.fs, "-P", "-m", "64m", "-p", "20", "/bin/sh", "-c", "sleep 100 & sleep 100"], { stdout: "ignore" });
    const pid = await containerPid(p.pid);
    p.kill("SIGKILL");
    await p.exited;
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await Bun.sleep(20);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    // useRootfs checks after each test that no cgroup, mount or /tmp/zoo.* dir is left.
  });

  test("SIGTERM to zookeeper reaches the container", async () => {
    const p = Bun.spawn([ZOOKEEPER, "-r", rootfs.fs, "/bin/sh", "-c", "trap 'echo got-term; exit 3' TERM; while :; do sleep 0.05; done"], { stdout: "pipe" });
    await containerPid(p.pid);
    await Bun.sleep(200);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(3);
    expect(await new Response(p.stdout).text()).toBe("got-term\n");
  });

  test("writing past -m gets the process OOM-killed and reported", async () => {
    const r = await zk(["-r", rootfs.fs, "-m", "32m", "/bin/probe", "alloc", "256"]);
    expect(r.signal).toBe("SIGKILL");
    expect(r.stdout).not.toContain("allocated all");
    expect(r.stderr).toContain("ran out of memory");
  });

  test("forking past -p fails", async () => {
    const r = await zk(["-r", rootfs.fs, "-p", "8", "/bin/sh", "-c", "for i in $(seq 20); do sleep 1 & done 2>&1; wait; echo done"]);
    expect(r.stdout + r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  test("a busy loop under -c 20 gets about 20% of a CPU", async () => {
    const p = Bun.spawn([ZOOKEEPER, "-r", rootfs.fs, "-c", "20", "/bin/sh", "-c", "while :; do :; done"], { stdout: "ignore" });
    const pid = await containerPid(p.pid);
    const path = cgroupOf(pid, "cpuacct") ?? cgroupOf(pid, "");
    const usage = () =>
      path && cgroupOf(pid, "cpuacct") !== undefined
        ? Number(readFileSync(`/sys/fs/cgroup/cpuacct${path}/cpuacct.usage`, "utf8"))
        : Number(/usage_usec (\d+)/.exec(readFileSync(`/sys/fs/cgroup${path}/cpu.stat`, "utf8"))![1]) * 1000;
    await Bun.sleep(300);
    const u0 = usage();
    const t0 = performance.now();
    await Bun.sleep(2000);
    const share = (usage() - u0) / ((performance.now() - t0) * 1e6);
    process.kill(pid, "SIGKILL");
    await p.exited;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3);
  });

  test("the cgroup is named zoo-<pid> under zookeeper's own cgroup (its zookeeper-<pid>.scope under systemd), in every hierarchy, and removed after", async () => {
    const p = Bun.spawn([ZOOKEEPER, "-r", rootfs.fs, "-m", "64m", "-p", "20", "-c", "50", "/bin/sleep", "100"], { stdout: "ignore" });
    const pid = await containerPid(p.pid);
    try {
      // On a systemd host zookeeper asks for zoo.slice/zookeeper-<pid>.scope and builds in there.
      if (systemdBooted()) {
        expect(cgroupOf(pid, "")).toBe(`/zoo.slice/zookeeper-${p.pid}.scope/zoo-${pid}`);
        return;
      }
      const mine = readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
      const theirs = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
      for (const line of mine) {
        const [id, ctrls, path] = line.split(":");
        const other = theirs.find((l) => l.startsWith(`${id}:${ctrls}:`))!;
        expect(other.split(":")[2]).toBe(`${path === "/" ? "" : path}/zoo-${pid}`);
      }
    } finally {
      process.kill(pid, "SIGKILL");
      await p.exited;
    }
  });
});
