import { describe, expect, test } from "bun:test";
import { CgroupConfigError, CgroupError } from "../../../src/cgroups/errors.ts";
import {
  cpuPercentToQuota,
  planWrites,
  requiredControllers,
  sharesToWeight,
  type Controller,
  type PlanProbe,
  type Resources,
} from "../../../src/cgroups/limits.ts";

const MiB = 1024 * 1024;
const V1_UNLIMITED = "9223372036854771712";

function probe(files: Record<string, string>): PlanProbe {
  return { has: (_c, f) => f in files, read: (_c, f) => files[f] };
}
const V1_FILES = {
  "memory.limit_in_bytes": V1_UNLIMITED,
  "memory.memsw.limit_in_bytes": V1_UNLIMITED,
  "memory.swappiness": "60",
};
const V2_FILES = { "memory.max": "max", "memory.swap.max": "max" };
const v1 = () => 1 as const;
const v2 = () => 2 as const;
const flat = (r: Resources, version: (c: Controller) => 1 | 2, files: Record<string, string>) =>
  planWrites(r, version, probe(files)).writes.map((w) => `${w.file}=${w.value}`);

describe("cpuPercentToQuota", () => {
  test("percent of one cpu at the default and a custom period", () => {
    expect(cpuPercentToQuota(20)).toBe(20_000);
    expect(cpuPercentToQuota(100)).toBe(100_000);
    expect(cpuPercentToQuota(250, 100_000, 4)).toBe(250_000);
    expect(cpuPercentToQuota(50, 10_000)).toBe(5_000);
  });
  test("rounds up to the kernel minimum of 1 ms", () => {
    expect(cpuPercentToQuota(0.1)).toBe(1_000);
  });
  test("rejects <= 0 and more than all cpus", () => {
    expect(() => cpuPercentToQuota(0)).toThrow(CgroupConfigError);
    expect(() => cpuPercentToQuota(401, 100_000, 4)).toThrow("exceeds 400 (4 cpus available)");
    expect(() => cpuPercentToQuota(50, 500)).toThrow(CgroupConfigError);
  });
});

describe("sharesToWeight", () => {
  test("matches the runc/crun conversion", () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(512)).toBe(20);
    expect(sharesToWeight(262144)).toBe(10000);
  });
});

describe("v1 mapping", () => {
  test("memory limit with swap off writes memsw = limit and swappiness 0", () => {
    expect(flat({ memory: { limit: 64 * MiB, swap: 64 * MiB } }, v1, V1_FILES)).toEqual([
      `memory.limit_in_bytes=${64 * MiB}`,
      `memory.memsw.limit_in_bytes=${64 * MiB}`,
      "memory.swappiness=0",
    ]);
  });

  test("raising above the current memsw writes memsw first", () => {
    const cur = { ...V1_FILES, "memory.limit_in_bytes": String(64 * MiB), "memory.memsw.limit_in_bytes": String(64 * MiB) };
    expect(flat({ memory: { limit: 128 * MiB, swap: 256 * MiB } }, v1, cur)).toEqual([
      `memory.memsw.limit_in_bytes=${256 * MiB}`,
      `memory.limit_in_bytes=${128 * MiB}`,
    ]);
  });

  test("lowering writes the memory limit first", () => {
    const cur = { ...V1_FILES, "memory.limit_in_bytes": String(256 * MiB), "memory.memsw.limit_in_bytes": String(512 * MiB) };
    expect(flat({ memory: { limit: 32 * MiB, swap: 64 * MiB } }, v1, cur)).toEqual([
      `memory.limit_in_bytes=${32 * MiB}`,
      `memory.memsw.limit_in_bytes=${64 * MiB}`,
    ]);
  });

  test("back to unlimited: memsw first", () => {
    const cur = { ...V1_FILES, "memory.limit_in_bytes": String(64 * MiB), "memory.memsw.limit_in_bytes": String(64 * MiB) };
    expect(flat({ memory: { limit: -1, swap: -1 } }, v1, cur)).toEqual(["memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"]);
  });

  test("without swap accounting only swappiness can turn swap off", () => {
    const files = { "memory.limit_in_bytes": V1_UNLIMITED, "memory.swappiness": "60" };
    const plan = planWrites({ memory: { limit: 64 * MiB, swap: 64 * MiB } }, v1, probe(files));
    expect(plan.writes.map((w) => w.file)).toEqual(["memory.limit_in_bytes", "memory.swappiness"]);
    expect(plan.warnings).toEqual([]);
    const more = planWrites({ memory: { limit: 64 * MiB, swap: 128 * MiB } }, v1, probe(files));
    expect(more.warnings[0]).toContain("no swap accounting");
  });

  test("cpu, cpuset and pids", () => {
    const r: Resources = { cpu: { shares: 512, quota: 20_000, period: 100_000, cpus: "0-1", mems: "0" }, pids: { limit: 10 } };
    expect(flat(r, v1, {})).toEqual([
      "cpu.shares=512",
      "cpu.cfs_period_us=100000",
      "cpu.cfs_quota_us=20000",
      "cpuset.cpus=0-1",
      "cpuset.mems=0",
      "pids.max=10",
    ]);
    expect(flat({ pids: { limit: -1 } }, v1, {})).toEqual(["pids.max=max"]);
    expect(flat({ pids: { limit: 0 } }, v1, {})).toEqual([]);
  });

  test("reservation", () => {
    expect(flat({ memory: { reservation: 32 * MiB } }, v1, V1_FILES)).toEqual([`memory.soft_limit_in_bytes=${32 * MiB}`]);
  });
});

describe("v2 mapping", () => {
  test("memory.swap.max is the swap alone: OCI swap minus limit", () => {
    expect(flat({ memory: { limit: 64 * MiB, swap: 64 * MiB } }, v2, V2_FILES)).toEqual([`memory.max=${64 * MiB}`, "memory.swap.max=0"]);
    expect(flat({ memory: { limit: 64 * MiB, swap: 96 * MiB } }, v2, V2_FILES)).toEqual([`memory.max=${64 * MiB}`, `memory.swap.max=${32 * MiB}`]);
    expect(flat({ memory: { limit: -1, swap: -1, reservation: 1024 } }, v2, V2_FILES)).toEqual([
      "memory.max=max",
      "memory.swap.max=max",
      "memory.low=1024",
    ]);
  });

  test("swap off without memory.swap.max is silently impossible, more swap warns", () => {
    const files = { "memory.max": "max" };
    expect(planWrites({ memory: { limit: 1 * MiB, swap: 1 * MiB } }, v2, probe(files)).warnings).toEqual([]);
    expect(planWrites({ memory: { limit: 1 * MiB, swap: 2 * MiB } }, v2, probe(files)).warnings).toHaveLength(1);
  });

  test("cpu.max and cpu.weight", () => {
    expect(flat({ cpu: { quota: 20_000, period: 100_000, shares: 1024 } }, v2, {})).toEqual(["cpu.weight=39", "cpu.max=20000 100000"]);
    expect(flat({ cpu: { quota: 50_000 } }, v2, {})).toEqual(["cpu.max=50000 100000"]);
    expect(flat({ cpu: { quota: -1, period: 50_000 } }, v2, {})).toEqual(["cpu.max=max 50000"]);
    expect(flat({ cpu: { period: 20_000 } }, v2, {})).toEqual(["cpu.max=max 20000"]);
  });

  test("pids and cpuset use the v1 names", () => {
    expect(flat({ pids: { limit: 10 }, cpu: { cpus: "1" } }, v2, {})).toEqual(["cpuset.cpus=1", "pids.max=10"]);
  });
});

describe("hybrid routing and validation", () => {
  test("each controller uses the file names of the version hosting it", () => {
    const version = (c: Controller) => (c === "memory" ? 1 : 2);
    expect(flat({ memory: { limit: MiB }, pids: { limit: 5 } }, version, V1_FILES)).toEqual([`memory.limit_in_bytes=${MiB}`, "pids.max=5"]);
  });

  test("a controller no hierarchy provides is an error naming it", () => {
    expect(() => planWrites({ pids: { limit: 3 } }, () => undefined, probe({}))).toThrow(
      new CgroupError("cannot set a pids limit: no mounted cgroup hierarchy provides the pids controller"),
    );
  });

  test("requiredControllers", () => {
    expect(requiredControllers({})).toEqual([]);
    expect(requiredControllers({ memory: {}, cpu: { shares: 0 }, pids: { limit: 0 } })).toEqual([]);
    expect(requiredControllers({ memory: { limit: 1 }, cpu: { quota: 1000, cpus: "0" }, pids: { limit: 1 } })).toEqual([
      "memory",
      "cpu",
      "cpuset",
      "pids",
    ]);
  });

  test.each([
    [{ memory: { swap: 10 * MiB } }, "needs a memory limit"],
    [{ memory: { limit: 10 * MiB, swap: MiB } }, "must not be lower than the memory limit"],
    [{ memory: { limit: 0 } }, "memory limit must be -1 or a positive byte count, got 0"],
    [{ cpu: { quota: 10 } }, "cpu quota must be -1 or at least 1000"],
    [{ cpu: { shares: 1 } }, "cpu shares"],
    [{ cpu: { cpus: "0-1;rm" } }, "cpuset cpus must be a list"],
    [{ pids: { limit: 1.5 } }, "pids limit must be an integer"],
  ] as [Resources, string][])("rejects %j", (r, msg) => {
    expect(() => planWrites(r, v1, probe(V1_FILES))).toThrow(msg);
  });
});

describe("the rest of memory and cpu", () => {
  const V1_MORE = { ...V1_FILES, "memory.kmem.limit_in_bytes": V1_UNLIMITED, "memory.kmem.tcp.limit_in_bytes": V1_UNLIMITED, "memory.usage_in_bytes": String(10 * MiB) };
  test("v1: kernel limits where the files are, oom_control, use_hierarchy", () => {
    const r: Resources = { memory: { kernel: 64 * MiB, kernelTCP: 8 * MiB, disableOOMKiller: true, useHierarchy: false } };
    expect(flat(r, v1, V1_MORE)).toEqual([`memory.kmem.limit_in_bytes=${64 * MiB}`, `memory.kmem.tcp.limit_in_bytes=${8 * MiB}`, "memory.oom_control=1", "memory.use_hierarchy=0"]);
    // The defaults ask for nothing: no write, and no memory cgroup needed for them.
    expect(flat({ memory: { disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true } }, v1, V1_MORE)).toEqual([]);
    expect(requiredControllers({ memory: { disableOOMKiller: false, useHierarchy: true, kernel: 0, kernelTCP: 0 } })).toEqual([]);
    const plan = planWrites({ memory: { kernel: MiB } }, v1, probe(V1_FILES));
    expect([plan.writes, plan.warnings]).toEqual([[], ["memory.kernel ignored: the kernel has no memory.kmem.limit_in_bytes"]]);
  });

  test("v2: kernel limits and useHierarchy false are warnings, disableOOMKiller is refused", () => {
    const plan = planWrites({ memory: { kernel: MiB, useHierarchy: false, disableOOMKiller: false } }, v2, probe(V2_FILES));
    expect([plan.writes, plan.warnings]).toEqual([
      [],
      ["memory.kernel/kernelTCP ignored: cgroup v2 charges kernel memory to memory.max", "memory.useHierarchy false ignored: cgroup v2 is always hierarchical"],
    ]);
    expect(() => planWrites({ memory: { disableOOMKiller: true } }, v2, probe(V2_FILES))).toThrow(
      "cannot set memory.disableOOMKiller: cgroup v2 cannot turn the OOM killer off for a cgroup; remove it",
    );
  });

  test("checkBeforeUpdate refuses a limit under the current usage", () => {
    expect(() => planWrites({ memory: { limit: MiB, checkBeforeUpdate: true } }, v1, probe(V1_MORE))).toThrow(
      `memory limit ${MiB} is below the current usage ${10 * MiB} (memory.checkBeforeUpdate is set)`,
    );
    expect(() => planWrites({ memory: { limit: MiB, checkBeforeUpdate: true } }, v2, probe({ ...V2_FILES, "memory.current": "5000000" }))).toThrow("below the current usage 5000000");
    expect(flat({ memory: { limit: 20 * MiB, checkBeforeUpdate: true } }, v1, V1_MORE)).toEqual([`memory.limit_in_bytes=${20 * MiB}`]);
    expect(flat({ memory: { limit: MiB } }, v1, V1_MORE)).toEqual([`memory.limit_in_bytes=${MiB}`]);
  });

  const CPU_V1 = { "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.idle": "0", "cpu.cfs_burst_us": "0" };
  test("v1 cpu: real-time period before runtime, idle, burst", () => {
    expect(flat({ cpu: { realtimeRuntime: 10_000, realtimePeriod: 500_000, idle: 1, burst: 5000 } }, v1, CPU_V1)).toEqual([
      "cpu.rt_period_us=500000",
      "cpu.rt_runtime_us=10000",
      "cpu.idle=1",
      "cpu.cfs_burst_us=5000",
    ]);
    expect(() => planWrites({ cpu: { realtimeRuntime: 1 } }, v1, probe({}))).toThrow(
      "cannot set cpu.realtimeRuntime: the kernel has no cpu.rt_runtime_us (built without CONFIG_RT_GROUP_SCHED)",
    );
    const plan = planWrites({ cpu: { burst: 1 } }, v1, probe({}));
    expect(plan.warnings).toEqual(["cpu.burst ignored: the kernel has no cpu.cfs_burst_us (Linux 5.14 or later)"]);
  });

  test("v2 cpu: idle and cpu.max.burst; real-time limits refused", () => {
    expect(flat({ cpu: { idle: 1, burst: 2000 } }, v2, { "cpu.idle": "0", "cpu.max.burst": "0" })).toEqual(["cpu.idle=1", "cpu.max.burst=2000"]);
    expect(() => planWrites({ cpu: { realtimePeriod: 1000 } }, v2, probe({}))).toThrow("cgroup v2 has no real-time CPU limits; remove them");
  });

  test("requiredControllers covers every kind", () => {
    const r: Resources = {
      memory: { disableOOMKiller: true },
      cpu: { idle: 0 },
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
      network: { classID: 1, priorities: [{ name: "lo", priority: 1 }] },
      rdma: { mlx5_0: {} },
      unified: { "cgroup.max.depth": "1" },
    };
    expect(requiredControllers(r)).toEqual(["memory", "cpu", "blkio", "hugetlb", "net_cls", "net_prio", "rdma", "unified"]);
    expect(requiredControllers({ blockIO: { weight: 0, weightDevice: [] }, hugepageLimits: [], rdma: {}, unified: {}, network: {} })).toEqual([]);
  });
});
