import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { ContainerCgroup, type CgroupOptions } from "../../../src/cgroups/container.ts";
import { detectHierarchies } from "../../../src/cgroups/detect.ts";
import { CgroupConfigError, CgroupDelegationError, CgroupFsError, CgroupWriteError } from "../../../src/cgroups/errors.ts";
import { resolveParentPath } from "../../../src/cgroups/parent.ts";
import { FakeCgroupFs, hybridMounts, v1CoMountedMounts, v2Mounts, type FakeMount, type FakeOptions } from "./fake-cgroupfs.ts";

const MiB = 1024 * 1024;
let fake: FakeCgroupFs | undefined;
afterEach(() => {
  fake?.cleanup();
  fake = undefined;
});

function setup(mounts: FakeMount[], fakeOpts: FakeOptions = {}) {
  const f = new FakeCgroupFs(mounts, fakeOpts);
  fake = f;
  const hierarchies = detectHierarchies({ procDir: f.procDir(), rootPrefix: f.root, fs: f });
  const make = (name: string, opts: CgroupOptions = {}) =>
    new ContainerCgroup(name, { fs: f, hierarchies, env: {}, uid: 0, kill: f.kill, sleep: f.sleep, ...opts });
  const read = (p: string) => fs.readFileSync(f.abs(p), "utf8").trim();
  return { f, hierarchies, make, read };
}

describe("create on a hybrid host (this VM's layout)", () => {
  test("a directory in every hierarchy under our own cgroup, limits in the v1 hierarchies", () => {
    const { f, make, read } = setup(hybridMounts());
    const cg = make("zoo-1").create({ memory: { limit: 64 * MiB, swap: 64 * MiB }, cpu: { quota: 20_000, period: 100_000 }, pids: { limit: 10 } });
    expect(cg.active).toBe(true);
    expect(cg.paths.map((p) => p.dir.slice(f.root.length))).toEqual([
      "/sys/fs/cgroup/unified/zoo-1",
      "/sys/fs/cgroup/cpu/zoo-1",
      "/sys/fs/cgroup/cpuacct/zoo-1",
      "/sys/fs/cgroup/cpuset/zoo-1",
      "/sys/fs/cgroup/memory/process_api/abc/zoo-1",
      "/sys/fs/cgroup/devices/zoo-1",
      "/sys/fs/cgroup/freezer/zoo-1",
      "/sys/fs/cgroup/blkio/zoo-1",
      "/sys/fs/cgroup/pids/zoo-1",
      "/sys/fs/cgroup/systemd/zoo-1",
    ]);
    const mem = "/sys/fs/cgroup/memory/process_api/abc/zoo-1";
    expect(read(`${mem}/memory.limit_in_bytes`)).toBe(String(64 * MiB));
    expect(read(`${mem}/memory.memsw.limit_in_bytes`)).toBe(String(64 * MiB));
    expect(read(`${mem}/memory.swappiness`)).toBe("0");
    expect(read("/sys/fs/cgroup/cpu/zoo-1/cpu.cfs_quota_us")).toBe("20000");
    expect(read("/sys/fs/cgroup/pids/zoo-1/pids.max")).toBe("10");
    // A fresh v1 cpuset is unusable until it has cpus and mems.
    expect(read("/sys/fs/cgroup/cpuset/zoo-1/cpuset.cpus")).toBe("0-3");
    expect(read("/sys/fs/cgroup/cpuset/zoo-1/cpuset.mems")).toBe("0");
    // Nothing to enable in a v2 tree that only has hugetlb.
    expect(f.writes.some((w) => w.path.endsWith("cgroup.subtree_control"))).toBe(false);
  });

  test("memsw order: lowering an existing cgroup's limits never trips the kernel's memsw >= limit rule", () => {
    const { make, read } = setup(hybridMounts());
    make("zoo-up").create({ memory: { limit: 32 * MiB, swap: 128 * MiB } });
    expect(read("/sys/fs/cgroup/memory/process_api/abc/zoo-up/memory.memsw.limit_in_bytes")).toBe(String(128 * MiB));
  });

  test("a name that exists already fails without removing the other cgroup", () => {
    const { f, make } = setup(hybridMounts());
    fs.mkdirSync(f.abs("/sys/fs/cgroup/pids/zoo-dup"));
    expect(() => make("zoo-dup").create({})).toThrow("a cgroup with this name exists already");
    expect(fs.existsSync(f.abs("/sys/fs/cgroup/pids/zoo-dup"))).toBe(true);
    expect(fs.existsSync(f.abs("/sys/fs/cgroup/cpu/zoo-dup"))).toBe(false);
  });
});

describe("rollback", () => {
  test("a refused write removes every directory made so far and throws the write error", () => {
    const { f, make } = setup(hybridMounts());
    f.failWrites.set("pids.max", "EINVAL");
    let err: unknown;
    try {
      make("zoo-rb").create({ memory: { limit: 64 * MiB }, pids: { limit: -1 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupWriteError);
    expect((err as Error).message).toBe(`write ${f.root}/sys/fs/cgroup/pids/zoo-rb/pids.max = "max": Invalid argument`);
    expect(f.mkdirs).toHaveLength(10);
    expect([...f.rmdirs].sort()).toEqual([...f.mkdirs].sort());
    expect(f.leftovers()).toEqual([]);
  });

  test("a failure after parent levels were made removes those too", () => {
    const { f, make } = setup(hybridMounts());
    f.failWrites.set("zoo-p/zoo-c/cpuset.cpus", "EACCES");
    expect(() => make("zoo-c", { parent: "zoo-p" }).create({})).toThrow(CgroupWriteError);
    expect(f.mkdirs.some((d) => d.endsWith("/zoo-p"))).toBe(true);
    expect(f.leftovers()).toEqual([]);
  });
});

describe("parent resolution", () => {
  test("default, relative, absolute", () => {
    const h = { ownPath: "/process_api/abc" };
    expect(resolveParentPath(h, undefined)).toBe("/process_api/abc");
    expect(resolveParentPath(h, "zoo/x")).toBe("/process_api/abc/zoo/x");
    expect(resolveParentPath(h, "./zoo/")).toBe("/process_api/abc/zoo");
    expect(resolveParentPath(h, "/machine.slice")).toBe("/machine.slice");
    expect(resolveParentPath({ ownPath: "/" }, "zoo")).toBe("/zoo");
    expect(resolveParentPath(h, "/")).toBe("/");
    expect(() => resolveParentPath(h, "../escape")).toThrow(CgroupConfigError);
  });

  test("ZOO_CGROUP_PARENT applies per hierarchy; the explicit option wins; made parents go on destroy", async () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-e", { env: { ZOO_CGROUP_PARENT: "zoo-group" } }).create({ pids: { limit: 5 } });
    expect(cg.paths.find((p) => p.controllers.includes("memory"))?.dir).toBe(f.abs("/sys/fs/cgroup/memory/process_api/abc/zoo-group/zoo-e"));
    expect(cg.paths.find((p) => p.controllers.includes("pids"))?.dir).toBe(f.abs("/sys/fs/cgroup/pids/zoo-group/zoo-e"));
    expect(cg.state().createdParents).toHaveLength(10);
    // The new cpuset parent level got its sets too, or the child could not copy any.
    expect(fs.readFileSync(f.abs("/sys/fs/cgroup/cpuset/zoo-group/zoo-e/cpuset.cpus"), "utf8")).toBe("0-3");
    await cg.destroy();
    expect(f.leftovers()).toEqual([]);

    const abs = make("zoo-a", { parent: "/zoo-abs", env: { ZOO_CGROUP_PARENT: "ignored" } }).create({});
    expect(abs.paths.find((p) => p.controllers.includes("memory"))?.dir).toBe(f.abs("/sys/fs/cgroup/memory/zoo-abs/zoo-a"));
    await abs.destroy();
    expect(f.leftovers()).toEqual([]);
  });

  test("invalid names are refused", () => {
    const { make } = setup(hybridMounts());
    for (const n of ["", "..", "a/b", "x\n"]) expect(() => make(n)).toThrow(CgroupConfigError);
  });
});

describe("cgroup v2", () => {
  const subtreeWrites = (f: FakeCgroupFs) => f.writes.filter((w) => w.path.endsWith("/cgroup.subtree_control"));

  for (const [what, resources] of [
    ["a memory limit", { memory: { limit: 64 * MiB } }],
    // The kernel would take +pids in a cgroup with processes and make it a thread root.
    ["a pids limit", { pids: { limit: 10 } }],
  ] as const) {
    test(`the own cgroup holds processes: ${what} is refused in one line, and its subtree_control is never written`, () => {
      const { f, make, read } = setup(v2Mounts());
      let err: unknown;
      try {
        make("zoo-v2", { parentAdvice: "run with --the-other-way" }).create(resources);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CgroupDelegationError);
      const msg = (err as Error).message;
      expect(msg).toBe(
        `cannot set ${what}: ${f.abs("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope")} has processes of its own, ` +
          'and cgroup v2 only lets a cgroup without processes hand controllers to its children ("no internal processes" rule); run with --the-other-way',
      );
      expect(subtreeWrites(f)).toEqual([]);
      expect(read("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/cgroup.type")).toBe("domain");
      expect(f.leftovers()).toEqual([]);
    });
  }

  test("the advice names zoo's own ways to pick another parent by default", () => {
    const { make } = setup(v2Mounts());
    expect(() => make("zoo-v2").create({ pids: { limit: 10 } })).toThrow(/; run with --cgroup-manager systemd, or set ZOO_CGROUP_PARENT to /);
  });

  test("without limits: a plain child of the own cgroup, which stays as it was and takes the process", async () => {
    const { f, make, read } = setup(v2Mounts());
    const cg = make("zoo-v2").create({});
    expect(cg.active).toBe(true);
    expect(cg.warnings).toEqual([`not enabling memory, pids in ${f.abs("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope")}: it has processes of its own`]);
    expect(subtreeWrites(f)).toEqual([]);
    expect(read("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/cgroup.type")).toBe("domain");
    cg.addProcess(777);
    expect(read("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/zoo-v2/cgroup.procs")).toBe("777");
    await cg.destroy();
    expect(f.leftovers()).toEqual([]);
  });

  test("a parent that is already a thread root: the new cgroup could hold no process, so it is refused by name", () => {
    const { f, make } = setup(v2Mounts());
    const own = f.abs("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope");
    f.writeFile(`${own}/cgroup.subtree_control`, "+pids"); // what an older zoo did
    let err: unknown;
    try {
      make("zoo-v2", { parentAdvice: "run with --the-other-way" }).create({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupDelegationError);
    expect((err as Error).message).toBe(
      `cannot use ${own} as the container's cgroup parent: it is in a threaded subtree (cgroup.type "domain threaded"), ` +
        'so a cgroup made below it is "domain invalid" and cannot hold processes; run with --the-other-way',
    );
    expect(f.leftovers()).toEqual([]);
  });

  test("a process-free parent gets controllers enabled level by level", async () => {
    const { f, make, read } = setup(v2Mounts());
    const cg = make("zoo-v2", { parent: "/zoo.slice/sub" }).create({
      memory: { limit: 64 * MiB, swap: 64 * MiB },
      cpu: { quota: 20_000, period: 100_000, shares: 1024, cpus: "0" },
      pids: { limit: 10 },
    });
    expect(read("/sys/fs/cgroup/zoo.slice/cgroup.subtree_control").split(" ").sort()).toEqual(["cpu", "cpuset", "memory", "pids"]);
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/memory.max")).toBe(String(64 * MiB));
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/memory.swap.max")).toBe("0");
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/cpu.max")).toBe("20000 100000");
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/cpu.weight")).toBe("39");
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/cpuset.cpus")).toBe("0");
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/pids.max")).toBe("10");

    const fd = cg.openV2Fd();
    expect(fd).toBeNumber();
    expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe(f.abs("/sys/fs/cgroup/zoo.slice/sub/zoo-v2"));
    fs.closeSync(fd!);

    cg.addProcess(777);
    expect(read("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/cgroup.procs")).toBe("777");
    fs.writeFileSync(f.abs("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/memory.current"), "1234");
    fs.writeFileSync(f.abs("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/memory.events"), "oom 2\noom_kill 1\n");
    fs.writeFileSync(f.abs("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/cpu.stat"), "usage_usec 1500\n");
    fs.writeFileSync(f.abs("/sys/fs/cgroup/zoo.slice/sub/zoo-v2/pids.current"), "1\n");
    expect(cg.memoryUsage()).toEqual({ current: 1234, max: 64 * MiB });
    expect(cg.oomKills()).toEqual({ count: 1, exact: true });
    expect(cg.cpuUsageNs()).toBe(1_500_000);
    expect(cg.pidsCurrent()).toBe(1);

    await cg.destroy();
    expect(f.killed).toEqual([777]); // through cgroup.kill
    expect(f.leftovers()).toEqual([]);
  });

  test("a controller missing from the parent is named", () => {
    const { make } = setup([{ at: "/sys/fs/cgroup", version: 2, controllers: ["memory"], ownPath: "/" }]);
    expect(() => make("zoo-x").create({ pids: { limit: 3 } })).toThrow("no mounted cgroup hierarchy provides the pids controller");
  });

  test("without cgroup.kill: freeze, kill, thaw", async () => {
    const { f, make } = setup(v2Mounts("/"), { noCgroupKill: true });
    const cg = make("zoo-nk").create({});
    f.addPid(f.abs("/sys/fs/cgroup/zoo-nk"), 11);
    fs.mkdirSync(f.abs("/sys/fs/cgroup/zoo-nk/inner")); // the container made a child cgroup
    fs.writeFileSync(f.abs("/sys/fs/cgroup/zoo-nk/inner/cgroup.procs"), "12\n");
    await cg.destroy();
    expect(f.killed.sort()).toEqual([11, 12]);
    const freezes = f.writes.filter((w) => w.path.endsWith("cgroup.freeze")).map((w) => w.value);
    expect(freezes).toEqual(["1", "0"]);
    expect(f.leftovers()).toEqual([]);
  });
});

describe("pure v1, cpu,cpuacct co-mounted", () => {
  test("cpu limits and cpuacct usage come from the same directory", async () => {
    const { f, make } = setup(v1CoMountedMounts());
    const cg = make("zoo-v1").create({ cpu: { shares: 512, quota: 50_000 } });
    const dir = f.abs("/sys/fs/cgroup/cpu,cpuacct/user.slice/zoo-v1");
    expect(fs.readFileSync(`${dir}/cpu.shares`, "utf8")).toBe("512");
    fs.writeFileSync(`${dir}/cpuacct.usage`, "987654321");
    expect(cg.cpuUsageNs()).toBe(987654321);
    expect(cg.openV2Fd()).toBeUndefined();
    await cg.destroy();
    expect(f.leftovers()).toEqual([]);
  });
});

describe("rootless delegation", () => {
  const own = "/process_api/abc";
  test("a memory limit without a writable memory parent: one-line error, nothing created", () => {
    const { f, make } = setup(hybridMounts(own));
    for (const m of hybridMounts(own)) f.readOnly.add(f.abs(m.at + (m.ownPath === "/" ? "" : m.ownPath)));
    let err: unknown;
    try {
      make("zoo-rl", { uid: 1000 }).create({ memory: { limit: 64 * MiB } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupDelegationError);
    expect((err as Error).message).toBe(
      `cannot set a memory limit: ${f.root}/sys/fs/cgroup/memory/process_api/abc is not writable by uid 1000; ` +
        `delegate a cgroup (see README "Rootless cgroups") or run without -m`,
    );
    expect(f.mkdirs).toEqual([]);
  });

  test("the hint names the flag for the limit that failed", () => {
    const { f, make } = setup(hybridMounts(own));
    f.readOnly.add(f.abs("/sys/fs/cgroup/pids"));
    expect(() => make("zoo-rl", { uid: 1000 }).create({ pids: { limit: 5 } })).toThrow("or run without --pids-limit");
  });

  test("no limits and nothing delegated: a no-op cgroup", async () => {
    const { f, make } = setup(hybridMounts(own));
    for (const m of hybridMounts(own)) f.readOnly.add(f.abs(m.at + (m.ownPath === "/" ? "" : m.ownPath)));
    const cg = make("zoo-rl", { uid: 1000 }).create({});
    expect(cg.active).toBe(false);
    expect(cg.skipReason).toContain("uid 1000");
    expect(cg.openV2Fd()).toBeUndefined();
    cg.addProcess(5);
    expect(cg.memoryUsage()).toBeUndefined();
    await cg.destroy();
    expect(f.mkdirs).toEqual([]);
  });

  test("partly delegated: limits go where delegated, the rest is skipped with a warning", async () => {
    const { f, make } = setup(hybridMounts(own));
    f.readOnly.add(f.abs("/sys/fs/cgroup/systemd"));
    const cg = make("zoo-part", { uid: 1000 }).create({ memory: { limit: MiB } });
    expect(cg.paths).toHaveLength(9);
    expect(cg.warnings.join("\n")).toContain("skipping the v1 name=systemd hierarchy");
    await cg.destroy();
    expect(f.leftovers()).toEqual([]);
  });

  test("a parent that does not exist yet is judged by its nearest existing ancestor", () => {
    const { f, make } = setup(hybridMounts(own));
    f.readOnly.add(f.abs("/sys/fs/cgroup/pids"));
    expect(() => make("zoo-n", { uid: 1000, parent: "a/b" }).create({ pids: { limit: 5 } })).toThrow(
      `${f.root}/sys/fs/cgroup/pids is not writable by uid 1000`,
    );
  });
});

describe("destroy", () => {
  test("v1: freeze, SIGKILL every pid in every hierarchy, thaw, remove deepest first", async () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-d").create({ pids: { limit: 10 } });
    cg.addProcess(100, { skipV2: true });
    expect(fs.readFileSync(f.abs("/sys/fs/cgroup/unified/zoo-d/cgroup.procs"), "utf8")).toBe("");
    expect(fs.readFileSync(f.abs("/sys/fs/cgroup/freezer/zoo-d/cgroup.procs"), "utf8")).toBe("100\n");
    fs.mkdirSync(f.abs("/sys/fs/cgroup/pids/zoo-d/nested"));
    fs.writeFileSync(f.abs("/sys/fs/cgroup/pids/zoo-d/nested/cgroup.procs"), "101\n");
    await cg.destroy();
    expect(f.killed.sort()).toEqual([100, 101]);
    const freezer = f.writes.filter((w) => w.path.endsWith("freezer.state")).map((w) => w.value);
    expect(freezer).toEqual(["FROZEN", "THAWED"]);
    const nested = f.rmdirs.indexOf(f.abs("/sys/fs/cgroup/pids/zoo-d/nested"));
    expect(nested).toBeGreaterThanOrEqual(0);
    expect(nested).toBeLessThan(f.rmdirs.indexOf(f.abs("/sys/fs/cgroup/pids/zoo-d")));
    expect(f.leftovers()).toEqual([]);
  });

  test("idempotent, and directories removed behind its back are fine", async () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-i").create({});
    f.rmdir(f.abs("/sys/fs/cgroup/cpu/zoo-i"));
    await cg.destroy();
    await cg.destroy();
    expect(f.leftovers()).toEqual([]);
  });

  test("retries EBUSY for a while, then reports the directory", async () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-b", { removeTimeoutMs: 10_000 }).create({});
    f.busyRmdir.set(f.abs("/sys/fs/cgroup/blkio/zoo-b"), 3);
    await cg.destroy();
    expect(f.leftovers()).toEqual([]);

    const stuck = make("zoo-s", { removeTimeoutMs: 0 }).create({});
    f.busyRmdir.set(f.abs("/sys/fs/cgroup/blkio/zoo-s"), 1);
    await expect(stuck.destroy()).rejects.toThrow(
      new CgroupFsError("rmdir", f.abs("/sys/fs/cgroup/blkio/zoo-s"), Object.assign(new Error(), { code: "EBUSY" }), "processes are still inside"),
    );
    // Calling again finishes the job.
    await stuck.destroy();
    expect(f.leftovers()).toEqual([]);
  });

  test("removeIfEmpty: plain rmdir of an empty cgroup, nothing written, nobody killed, parents we made go too", async () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-e", { parent: "made/here" }).create({});
    const writes = f.writes.length;
    expect(cg.removeIfEmpty()).toBe(true);
    expect(f.killed).toEqual([]);
    expect(f.writes.length).toBe(writes);
    expect(f.rmdirs.filter((d) => d.endsWith("/made/here/zoo-e")).length).toBe(10);
    expect(f.leftovers()).toEqual([]);
    expect(cg.removeIfEmpty()).toBe(true);
    await cg.destroy();
  });

  test("removeIfEmpty: a process or a child cgroup left says false, and destroy() finishes", async () => {
    const { f, make } = setup(hybridMounts());
    const busy = make("zoo-p").create({});
    busy.addProcess(77, { skipV2: true });
    expect(busy.removeIfEmpty()).toBe(false);
    await busy.destroy();
    expect(f.killed).toEqual([77]);
    const nested = make("zoo-n").create({});
    f.mkdir(f.abs("/sys/fs/cgroup/pids/zoo-n/child"));
    expect(nested.removeIfEmpty()).toBe(false);
    await nested.destroy();
    expect(f.leftovers()).toEqual([]);
  });

  test("restore() from saved state destroys from another process", async () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-r").create({});
    cg.addProcess(55);
    const again = ContainerCgroup.restore(JSON.parse(JSON.stringify(cg.state())), { fs: f, kill: f.kill, sleep: f.sleep });
    expect(again.active).toBe(true);
    await again.destroy();
    expect(f.killed).toContain(55);
    expect(f.leftovers()).toEqual([]);
  });
});

describe("v1 OOM counter", () => {
  test("oom_control's oom_kill line, else memory.failcnt as an approximation", () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-o").create({ memory: { limit: MiB } });
    const dir = f.abs("/sys/fs/cgroup/memory/process_api/abc/zoo-o");
    fs.writeFileSync(`${dir}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    expect(cg.oomKills()).toEqual({ count: 2, exact: true });
    fs.writeFileSync(`${dir}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\n");
    fs.writeFileSync(`${dir}/memory.failcnt`, "7\n");
    expect(cg.oomKills()).toEqual({ count: 7, exact: false });
    fs.writeFileSync(`${dir}/memory.usage_in_bytes`, "4096\n");
    expect(cg.memoryUsage()).toEqual({ current: 4096, max: MiB });
  });
});
