// Real-kernel checks of the cgroup layer. Only cgroups named zoo-test-* are
// made, each below this process's own cgroup, and only our own children are
// moved into them.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import { ContainerCgroup, cpuPercentToQuota, detectHierarchies, hierarchyFor, realFs, type Hierarchy } from "../../../src/cgroups/index.ts";
import { joinSystemdScope, systemdBooted } from "../../../src/cgroups/systemd/index.ts";
import { cgroupDirsNamed } from "../../helpers/procs.ts";

const MiB = 1024 * 1024;
const uid = process.getuid?.() ?? -1;
const skipReason =
  uid !== 0 ? `needs root (uid is ${uid})` : !fs.existsSync("/proc/self/cgroup") ? "no /proc/self/cgroup" : undefined;
const tag = `zoo-test-${process.pid}-${randomBytes(3).toString("hex")}`;
const made: ContainerCgroup[] = [];
/**
 * On a systemd host our own cgroup has processes (us), so v2 refuses to hand
 * controllers below it: like zoo, we first ask systemd for a delegated scope
 * and build in there.
 */
let scope: string | undefined;
const parentEnv = () => (scope ? { ZOO_CGROUP_PARENT: scope } : {});
const under = (h: Hierarchy) => {
  const p = scope ?? h.ownPath;
  return p === "/" ? "" : p;
};

function read(p: string): string {
  return fs.readFileSync(p, "utf8").trim();
}

/** Every directory named zoo-test-* below /sys/fs/cgroup (not following symlinked co-mounts twice). */
const leftovers = () => cgroupDirsNamed("zoo-test-");

function procCgroup(pid: number): Map<number, string> {
  return new Map(
    read(`/proc/${pid}/cgroup`)
      .split("\n")
      .map((l) => {
        const a = l.indexOf(":");
        const b = l.indexOf(":", a + 1);
        return [Number(l.slice(0, a)), l.slice(b + 1)] as const;
      }),
  );
}

function track(cg: ContainerCgroup): ContainerCgroup {
  made.push(cg);
  return cg;
}

if (skipReason) {
  test.skip(`cgroup integration tests skipped: ${skipReason}`, () => {});
} else {
  describe("cgroups on the real kernel", () => {
    beforeAll(async () => {
      if (systemdBooted()) scope = (await joinSystemdScope({ unit: `cgtest-${process.pid}.scope`, description: "zoo cgroup tests", slice: "zoo.slice" })).path;
    });
    afterAll(async () => {
      for (const cg of made) await cg.destroy().catch(() => {});
      expect(leftovers()).toEqual([]);
    });

    const hs: Hierarchy[] = detectHierarchies();

    test(
      "limits in every hierarchy, a child moved in, destroy kills it and removes everything",
      async () => {
        const name = `${tag}-main`;
        const cg = track(
          new ContainerCgroup(name, { env: parentEnv() }).create({
            memory: { limit: 64 * MiB, swap: 64 * MiB },
            cpu: { quota: cpuPercentToQuota(20), period: 100_000 },
            pids: { limit: 10 },
          }),
        );
        expect(cg.active).toBe(true);
        expect(cg.paths).toHaveLength(hs.length);
        for (const p of cg.paths) expect(fs.statSync(p.dir).isDirectory()).toBe(true);

        const dirOf = (ctl: string) => cg.paths.find((p) => p.mountPoint === hierarchyFor(hs, ctl)?.mountPoint)!.dir;
        const mem = hierarchyFor(hs, "memory")!;
        if (mem.version === 1) {
          expect(read(`${dirOf("memory")}/memory.limit_in_bytes`)).toBe(String(64 * MiB));
          if (fs.existsSync(`${dirOf("memory")}/memory.memsw.limit_in_bytes`)) {
            expect(read(`${dirOf("memory")}/memory.memsw.limit_in_bytes`)).toBe(String(64 * MiB));
          }
          if (fs.existsSync(`${dirOf("memory")}/memory.swappiness`)) expect(read(`${dirOf("memory")}/memory.swappiness`)).toBe("0");
        } else {
          expect(read(`${dirOf("memory")}/memory.max`)).toBe(String(64 * MiB));
          if (fs.existsSync(`${dirOf("memory")}/memory.swap.max`)) expect(read(`${dirOf("memory")}/memory.swap.max`)).toBe("0");
        }
        if (hierarchyFor(hs, "cpu")!.version === 1) {
          expect(read(`${dirOf("cpu")}/cpu.cfs_quota_us`)).toBe("20000");
          expect(read(`${dirOf("cpu")}/cpu.cfs_period_us`)).toBe("100000");
        } else {
          expect(read(`${dirOf("cpu")}/cpu.max`)).toBe("20000 100000");
        }
        expect(read(`${dirOf("pids")}/pids.max`)).toBe("10");

        const child = Bun.spawn(["sleep", "30"], { stdout: "ignore", stderr: "ignore" });
        cg.addProcess(child.pid);
        const membership = procCgroup(child.pid);
        for (const h of hs) {
          const expected = `${under(h)}/${name}`;
          expect(`${h.version === 2 ? "v2" : h.controllers.join(",")}: ${membership.get(h.id)}`).toBe(
            `${h.version === 2 ? "v2" : h.controllers.join(",")}: ${expected}`,
          );
        }
        expect(cg.pidsCurrent()).toBe(1);
        expect(cg.memoryUsage()?.max).toBe(64 * MiB);
        // v1 does not move existing charges with a task, so usage may still read 0.
        expect(cg.memoryUsage()?.current).toBeGreaterThanOrEqual(0);
        expect(cg.oomKills()).toEqual({ count: 0, exact: true });
        expect(cg.cpuUsageNs()).toBeGreaterThanOrEqual(0);

        await cg.destroy();
        expect(await child.exited).not.toBe(0);
        expect(child.signalCode).toBe("SIGKILL");
        for (const p of cg.paths) expect(fs.existsSync(p.dir)).toBe(false);
        await cg.destroy(); // idempotent
      },
      30_000,
    );

    test(
      "pids.max stops a shell forking past the limit; v1-only membership is killed via the freezer",
      async () => {
        const writes: string[] = [];
        const recording = { ...realFs, writeFile: (p: string, v: string) => (realFs.writeFile(p, v), void writes.push(`${p}=${v}`)) };
        const cg = track(new ContainerCgroup(`${tag}-pids`, { env: parentEnv(), fs: recording }).create({ pids: { limit: 10 } }));
        const sh = Bun.spawn(["sh", "-c", "read x; for i in $(seq 20); do sleep 5 & done; wait"], {
          stdin: "pipe",
          stdout: "ignore",
          stderr: "pipe",
        });
        // The shell waits on stdin, so it forks only once it is inside the cgroup.
        // skipV2 keeps it out of the v2 tree so destroy() has to use the v1 way (where there is one).
        cg.addProcess(sh.pid, { skipV2: hs.some((h) => h.version === 1) });
        sh.stdin.write("go\n");
        await sh.stdin.flush();
        const pidsDir = cg.paths.find((p) => p.controllers.includes("pids"))!.dir;
        let current = 0;
        for (let i = 0; i < 100 && !read(`${pidsDir}/pids.events`).match(/max [1-9]/); i++) await Bun.sleep(20);
        current = cg.pidsCurrent() ?? -1;
        expect(current).toBeGreaterThan(1);
        expect(current).toBeLessThanOrEqual(10);
        expect(read(`${pidsDir}/pids.events`)).toMatch(/^max [1-9]\d*$/m);

        // dash gives up ("Cannot fork") and exits, leaving its sleeps behind
        // in the cgroup. Its complaint may trail the kernel's count (slow VMs):
        // wait for it, or destroy() kills the shell before it says so.
        let err = "";
        const reading = (async () => {
          for await (const chunk of sh.stderr) err += new TextDecoder().decode(chunk);
        })();
        for (let i = 0; i < 250 && !/fork|Resource temporarily unavailable/i.test(err); i++) await Bun.sleep(20);
        const inside = read(`${pidsDir}/cgroup.procs`).split("\n").filter(Boolean).map(Number);
        expect(inside.length).toBeGreaterThan(0);
        await cg.destroy();
        expect(await sh.exited).not.toBe(0);
        await reading;
        expect(err).toMatch(/fork|Resource temporarily unavailable/i);
        const alive = (pid: number) => {
          try {
            return !/^\d+ \(.*\) Z/.test(read(`/proc/${pid}/stat`));
          } catch {
            return false;
          }
        };
        for (let i = 0; i < 100 && inside.some(alive); i++) await Bun.sleep(20);
        expect(inside.filter(alive)).toEqual([]);
        if (cg.paths.some((p) => p.controllers.includes("freezer"))) {
          expect(writes.filter((w) => w.includes("/freezer.state=")).map((w) => w.split("=")[1])).toEqual(["FROZEN", "THAWED"]);
        }
        for (const p of cg.paths) expect(fs.existsSync(p.dir)).toBe(false);
      },
      30_000,
    );

    test("a value the kernel refuses rolls everything back", () => {
      const cg = new ContainerCgroup(`${tag}-bad`, { env: parentEnv() });
      expect(() => cg.create({ cpu: { cpus: "4095" } })).toThrow(/write .*cpuset\.cpus = "4095": (Invalid argument|Numerical result out of range)/);
      expect(leftovers().filter((d) => d.includes(`${tag}-bad`))).toEqual([]);
    });

    const v2 = hs.find((h) => h.version === 2);
    test.skipIf(!v2)(
      "the v2 tree alone: O_PATH fd for CLONE_INTO_CGROUP, membership, cgroup.kill",
      async () => {
        const name = `${tag}-v2`;
        const only = [v2!];
        const cg = track(new ContainerCgroup(name, { env: parentEnv(), hierarchies: only }).create({}));
        const dir = cg.paths[0]!.dir;
        const fd = cg.openV2Fd();
        expect(fd).toBeNumber();
        try {
          expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe(dir);
          expect(fs.fstatSync(fd!).isDirectory()).toBe(true);
          // O_CLOEXEC: the flags line of fdinfo is octal with 02000000 set.
          const flags = parseInt(/flags:\s+(\d+)/.exec(read(`/proc/self/fdinfo/${fd}`))![1]!, 8);
          expect(flags & 0o2000000).toBe(0o2000000);
          expect(flags & 0o10000000).toBe(0o10000000);
        } finally {
          fs.closeSync(fd!);
        }
        const child = Bun.spawn(["sleep", "30"], { stdout: "ignore", stderr: "ignore" });
        cg.addProcess(child.pid);
        expect(procCgroup(child.pid).get(0)).toBe(`${under(v2!)}/${name}`);
        await cg.destroy();
        expect(child.signalCode ?? (await child.exited, child.signalCode)).toBe("SIGKILL");
        expect(fs.existsSync(dir)).toBe(false);

        // Limits for controllers the v2 tree does not offer are refused up front.
        if (!v2!.controllers.includes("pids")) {
          expect(() => new ContainerCgroup(`${name}-p`, { env: parentEnv(), hierarchies: only }).create({ pids: { limit: 3 } })).toThrow(
            "no mounted cgroup hierarchy provides the pids controller",
          );
        }
      },
      30_000,
    );
  });
}
