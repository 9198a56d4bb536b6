// The resource model (a subset of OCI `linux.resources`) and its translation
// into control-file writes. Pure: what exists on disk and the current values
// come in through a probe, so the mapping is testable without a kernel.

import { availableParallelism } from "node:os";
import type { CgroupVersion } from "./detect.ts";
import { CgroupConfigError, CgroupError } from "./errors.ts";
import { blkioWrites, blockIOWanted, validateBlockIO, type BlockIOResources } from "./limits-blkio.ts";
import { checkInt, checkObject } from "./limits-check.ts";
import { hugetlbWrites, validateHugepageLimits, type HugepageLimit } from "./limits-hugetlb.ts";
import { networkWrites, rdmaWrites, validateNetwork, validateRdma, type NetworkResources, type RdmaResources } from "./limits-net-rdma.ts";
import { unifiedWrites, validateUnified } from "./limits-unified.ts";

export type { BlockIOResources, HugepageLimit, NetworkResources, RdmaResources };

export interface MemoryResources {
  /** Bytes; -1 = unlimited. */
  limit?: number;
  /** OCI semantics: memory + swap in bytes; equal to `limit` = no swap; -1 = unlimited swap. */
  swap?: number;
  /** Soft limit in bytes; -1 = none. */
  reservation?: number;
  /** 0..100; cgroup v1 only (v2 has no per-cgroup swappiness). */
  swappiness?: number;
  /** v1 kernel-memory limits, bytes; -1 = unlimited, 0 = unset. The first is deprecated (recent kernels take the write and enforce nothing); v2 has neither. */
  kernel?: number;
  kernelTCP?: number;
  /** v1 memory.oom_control; cgroup v2 cannot turn the OOM killer off. */
  disableOOMKiller?: boolean;
  /** v1 memory.use_hierarchy; v2 is always hierarchical. */
  useHierarchy?: boolean;
  /** Refuse a new limit below the current usage instead of reclaiming down to it. */
  checkBeforeUpdate?: boolean;
}

export interface CpuResources {
  /** Relative weight, 2..262144 (v1 cpu.shares); 0 = unset. */
  shares?: number;
  /** Microseconds per period; -1 = unlimited. */
  quota?: number;
  /** Microseconds, 1000..1000000. */
  period?: number;
  /** cpuset list such as "0-3,6". */
  cpus?: string;
  /** NUMA node list. */
  mems?: string;
  /** v1 cpu.rt_runtime_us / cpu.rt_period_us (needs CONFIG_RT_GROUP_SCHED); v2 has no real-time limits. */
  realtimeRuntime?: number;
  realtimePeriod?: number;
  /** 1 = SCHED_IDLE for the whole cgroup (cpu.idle, Linux 5.15+). */
  idle?: number;
  /** Microseconds of unused quota that may carry over (cpu.cfs_burst_us / cpu.max.burst). */
  burst?: number;
}

export interface PidsResources {
  /** Max tasks; -1 = unlimited; 0 = unset (OCI convention). */
  limit?: number;
}

export interface Resources {
  memory?: MemoryResources;
  cpu?: CpuResources;
  pids?: PidsResources;
  blockIO?: BlockIOResources;
  hugepageLimits?: HugepageLimit[];
  network?: NetworkResources;
  rdma?: RdmaResources;
  /** cgroup v2 file name → content, written as given. */
  unified?: Record<string, string>;
}

/**
 * Logical controllers: "blkio" is v1 blkio or v2 io; "unified" is the v2
 * directory itself, whatever controllers it has.
 */
export type Controller = "memory" | "cpu" | "cpuset" | "pids" | "blkio" | "hugetlb" | "net_cls" | "net_prio" | "rdma" | "unified";

export interface ControlWrite {
  controller: Controller;
  file: string;
  value: string;
}

export interface WritePlan {
  /** In the order they must be written. */
  writes: ControlWrite[];
  /** Requests that cannot be honoured on this kernel but are not worth failing for. */
  warnings: string[];
}

/** What the planner may ask about the target cgroup. */
export interface PlanProbe {
  /** Does `file` exist in the directory of the hierarchy hosting `controller`? */
  has(controller: Controller, file: string): boolean;
  /** Current content of that file, if readable. */
  read(controller: Controller, file: string): string | undefined;
  /** Huge page sizes the host has ("2MB"); without it any size is tried. */
  hugePageSizes?(): string[];
  /** Whether block device major:minor exists; without it every device is tried. */
  blockDevice?(major: number, minor: number): boolean;
}

/** Words for error messages: "cannot set <what>". */
export const LIMIT_WHAT: Record<Controller, string> = {
  memory: "a memory limit",
  cpu: "a CPU limit",
  cpuset: "a CPU/memory-node set",
  pids: "a pids limit",
  blkio: "block I/O limits (linux.resources.blockIO)",
  hugetlb: "huge page limits (linux.resources.hugepageLimits)",
  net_cls: "a network class ID (linux.resources.network.classID)",
  net_prio: "network priorities (linux.resources.network.priorities)",
  rdma: "RDMA limits (linux.resources.rdma)",
  unified: "cgroup v2 files (linux.resources.unified)",
};

const CPU_PERIOD_DEFAULT = 100_000;
const CPU_QUOTA_MIN = 1_000;
// v1 reports "unlimited" as a page-aligned LONG_MAX; anything this large is no limit.
const V1_UNLIMITED_FLOOR = 2 ** 62;

/** Quota (µs per `period`) giving `percent` of ONE cpu; 150 = one and a half cpus. */
export function cpuPercentToQuota(percent: number, period = CPU_PERIOD_DEFAULT, nproc = availableParallelism()): number {
  if (!Number.isFinite(percent) || percent <= 0) {
    throw new CgroupConfigError(`cpu percent must be a positive number, got ${percent}`);
  }
  if (percent > 100 * nproc) {
    throw new CgroupConfigError(`cpu percent ${percent} exceeds ${100 * nproc} (${nproc} cpus available)`);
  }
  checkPeriod(period);
  // The kernel rejects quotas under 1ms, so tiny percentages round up to that.
  return Math.max(CPU_QUOTA_MIN, Math.round((percent * period) / 100));
}

/** cgroup v2 cpu.weight for v1-style shares; the conversion runc and crun use, clamped to 1..10000. */
export function sharesToWeight(shares: number): number {
  const w = 1 + Math.trunc(((shares - 2) * 9999) / 262142);
  return Math.min(10_000, Math.max(1, w));
}

function checkPeriod(period: number | undefined): void {
  checkInt("cpu period", period, (n) => n >= 1_000 && n <= 1_000_000, "1000..1000000 µs");
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Reject inconsistent or out-of-range requests before anything is created. */
export function validateResources(r: Resources): void {
  checkObject("memory", r.memory);
  checkObject("cpu", r.cpu);
  checkObject("pids", r.pids);
  const m = r.memory;
  if (m) {
    checkInt("memory limit", m.limit, (n) => n === -1 || n > 0, "-1 or a positive byte count");
    checkInt("memory+swap limit", m.swap, (n) => n === -1 || n > 0, "-1 or a positive byte count");
    checkInt("memory reservation", m.reservation, (n) => n >= -1, "-1 or a byte count");
    checkInt("memory swappiness", m.swappiness, (n) => n >= 0 && n <= 100, "0..100");
    checkInt("memory.kernel", m.kernel, (n) => n >= -1, "-1, 0 (unset) or a byte count");
    checkInt("memory.kernelTCP", m.kernelTCP, (n) => n >= -1, "-1, 0 (unset) or a byte count");
    for (const k of ["disableOOMKiller", "useHierarchy", "checkBeforeUpdate"] as const) {
      if (m[k] !== undefined && typeof m[k] !== "boolean") throw new CgroupConfigError(`memory.${k} must be true or false, got ${JSON.stringify(m[k])}`);
    }
    if (m.swap !== undefined && m.swap !== -1) {
      if (m.limit === undefined || m.limit === -1) {
        throw new CgroupConfigError("a memory+swap limit needs a memory limit as well");
      }
      if (m.swap < m.limit) {
        throw new CgroupConfigError(`memory+swap limit (${m.swap}) must not be lower than the memory limit (${m.limit})`);
      }
    }
  }
  const c = r.cpu;
  if (c) {
    checkInt("cpu shares", c.shares, (n) => n === 0 || (n >= 2 && n <= 262_144), "0 (unset) or 2..262144");
    checkInt("cpu quota", c.quota, (n) => n === -1 || n >= CPU_QUOTA_MIN, "-1 or at least 1000 µs");
    checkPeriod(c.period);
    checkInt("cpu.realtimeRuntime", c.realtimeRuntime, (n) => n >= -1, "-1 (unlimited) or microseconds");
    checkInt("cpu.realtimePeriod", c.realtimePeriod, (n) => n > 0, "a positive number of microseconds");
    if (c.realtimeRuntime !== undefined && c.realtimePeriod !== undefined && c.realtimeRuntime > c.realtimePeriod) {
      throw new CgroupConfigError(`cpu.realtimeRuntime (${c.realtimeRuntime}) must not exceed cpu.realtimePeriod (${c.realtimePeriod})`);
    }
    checkInt("cpu.idle", c.idle, (n) => n === 0 || n === 1, "0 or 1");
    checkInt("cpu.burst", c.burst, (n) => n >= 0, "0 or more microseconds");
    for (const [what, v] of [
      ["cpuset cpus", c.cpus],
      ["cpuset mems", c.mems],
    ] as const) {
      if (v !== undefined && !CPU_LIST.test(v)) throw new CgroupConfigError(`${what} must be a list like "0-3,6", got ${JSON.stringify(v)}`);
    }
  }
  checkInt("pids limit", r.pids?.limit, () => true, "an integer");
  validateBlockIO(r.blockIO);
  validateHugepageLimits(r.hugepageLimits);
  validateNetwork(r.network);
  validateRdma(r.rdma);
  validateUnified(r.unified);
}

const MEMORY_FIELDS = ["limit", "swap", "reservation", "swappiness"] as const;

/** Controllers that must be present and writable for `r` to be applied. */
export function requiredControllers(r: Resources): Controller[] {
  const out: Controller[] = [];
  const m = r.memory;
  // OOM killer on and hierarchical accounting are the defaults: asking for them needs no memory cgroup (CRI sends them everywhere).
  if (m && (MEMORY_FIELDS.some((k) => m[k] !== undefined) || m.kernel || m.kernelTCP || m.disableOOMKiller || m.useHierarchy === false)) out.push("memory");
  const c = r.cpu;
  if (c && (c.shares || [c.quota, c.period, c.realtimeRuntime, c.realtimePeriod, c.idle, c.burst].some((v) => v !== undefined))) out.push("cpu");
  if (c && (c.cpus !== undefined || c.mems !== undefined)) out.push("cpuset");
  if (r.pids?.limit) out.push("pids");
  if (blockIOWanted(r.blockIO)) out.push("blkio");
  if (r.hugepageLimits?.length) out.push("hugetlb");
  if (r.network?.classID !== undefined) out.push("net_cls");
  if (r.network?.priorities?.length) out.push("net_prio");
  if (r.rdma && Object.keys(r.rdma).length) out.push("rdma");
  if (r.unified && Object.keys(r.unified).length) out.push("unified");
  return out;
}

function parseV1Limit(text: string | undefined): number {
  const n = Number((text ?? "").trim());
  return text === undefined || !Number.isFinite(n) || n >= V1_UNLIMITED_FLOOR || n < 0 ? Infinity : n;
}

function v1Memory(m: MemoryResources, probe: PlanProbe, plan: WritePlan): void {
  checkUsage(m, probe.read("memory", "memory.usage_in_bytes"));
  const w = (file: string, value: number) => plan.writes.push({ controller: "memory", file, value: String(value) });
  const hasMemsw = probe.has("memory", "memory.memsw.limit_in_bytes");
  const swapOff = m.limit !== undefined && m.limit > 0 && m.swap === m.limit;
  let swap = m.swap;
  if (swap !== undefined && !hasMemsw) {
    if (!swapOff) plan.warnings.push("swap limit ignored: the kernel has no swap accounting (memory.memsw.* missing)");
    swap = undefined;
  }

  if (m.limit !== undefined && swap !== undefined) {
    // The kernel keeps memsw >= memory at every instant, so one of the two
    // orders is always accepted: memory first when it fits under the current
    // memsw, otherwise memsw first (it then fits over the current memory).
    const newLimit = m.limit === -1 ? Infinity : m.limit;
    const curMemsw = parseV1Limit(probe.read("memory", "memory.memsw.limit_in_bytes"));
    if (newLimit <= curMemsw) {
      w("memory.limit_in_bytes", m.limit);
      w("memory.memsw.limit_in_bytes", swap);
    } else {
      w("memory.memsw.limit_in_bytes", swap);
      w("memory.limit_in_bytes", m.limit);
    }
  } else if (m.limit !== undefined) {
    w("memory.limit_in_bytes", m.limit);
  } else if (swap !== undefined) {
    w("memory.memsw.limit_in_bytes", swap);
  }
  // Without memsw this is the only lever left, and with it it stops the
  // reclaim from pushing anonymous pages to swap at all.
  const swappiness = swapOff ? 0 : m.swappiness;
  if (swappiness !== undefined) {
    if (probe.has("memory", "memory.swappiness")) w("memory.swappiness", swappiness);
    else if (m.swappiness !== undefined) plan.warnings.push("memory swappiness ignored: memory.swappiness missing");
  }
  if (m.reservation !== undefined) w("memory.soft_limit_in_bytes", m.reservation);
  for (const [key, file] of [
    ["kernel", "memory.kmem.limit_in_bytes"],
    ["kernelTCP", "memory.kmem.tcp.limit_in_bytes"],
  ] as const) {
    const v = m[key];
    if (!v) continue; // 0 = unset, as runc reads it
    if (probe.has("memory", file)) w(file, v);
    else plan.warnings.push(`memory.${key} ignored: the kernel has no ${file}`);
  }
  // Only what differs from the defaults is written, as runc does.
  if (m.disableOOMKiller) w("memory.oom_control", 1);
  if (m.useHierarchy === false) w("memory.use_hierarchy", 0);
}

/** memory.checkBeforeUpdate: a limit under what is charged now would make the kernel reclaim or OOM-kill. */
function checkUsage(m: MemoryResources, usage: string | undefined): void {
  if (!m.checkBeforeUpdate || m.limit === undefined || m.limit === -1) return;
  const used = Number((usage ?? "").trim());
  if (usage !== undefined && Number.isFinite(used) && m.limit < used) {
    throw new CgroupConfigError(`memory limit ${m.limit} is below the current usage ${used} (memory.checkBeforeUpdate is set)`);
  }
}

function v2Memory(m: MemoryResources, probe: PlanProbe, plan: WritePlan): void {
  checkUsage(m, probe.read("memory", "memory.current"));
  if (m.disableOOMKiller) throw new CgroupError("cannot set memory.disableOOMKiller: cgroup v2 cannot turn the OOM killer off for a cgroup; remove it");
  const w = (file: string, value: string) => plan.writes.push({ controller: "memory", file, value });
  const max = (n: number) => (n === -1 ? "max" : String(n));
  if (m.limit !== undefined) w("memory.max", max(m.limit));
  if (m.swap !== undefined) {
    // v2 limits swap alone, OCI gives memory+swap: the difference is the swap.
    const value = m.swap === -1 ? "max" : String(m.swap - (m.limit ?? 0));
    if (probe.has("memory", "memory.swap.max")) w("memory.swap.max", value);
    else if (value !== "0") plan.warnings.push("swap limit ignored: the kernel has no swap accounting (memory.swap.max missing)");
  }
  if (m.reservation !== undefined) w("memory.low", max(m.reservation));
  if (m.swappiness !== undefined) plan.warnings.push("memory swappiness ignored: cgroup v2 has no per-cgroup swappiness");
  if (m.kernel || m.kernelTCP) plan.warnings.push("memory.kernel/kernelTCP ignored: cgroup v2 charges kernel memory to memory.max");
  if (m.useHierarchy === false) plan.warnings.push("memory.useHierarchy false ignored: cgroup v2 is always hierarchical");
}

function cpuWrites(c: CpuResources, version: CgroupVersion, probe: PlanProbe, plan: WritePlan): void {
  const w = (file: string, value: string) => plan.writes.push({ controller: "cpu", file, value });
  const needFile = (field: string, file: string, why: string) => {
    if (!probe.has("cpu", file)) throw new CgroupError(`cannot set cpu.${field}: the kernel has no ${file} (${why})`);
  };
  if (version === 1) {
    if (c.shares) w("cpu.shares", String(c.shares));
    // Period before quota: a quota is judged against the period in force.
    if (c.period !== undefined) w("cpu.cfs_period_us", String(c.period));
    if (c.quota !== undefined) w("cpu.cfs_quota_us", String(c.quota));
    // Likewise the real-time period before the runtime measured against it.
    if (c.realtimePeriod !== undefined) {
      needFile("realtimePeriod", "cpu.rt_period_us", "built without CONFIG_RT_GROUP_SCHED");
      w("cpu.rt_period_us", String(c.realtimePeriod));
    }
    if (c.realtimeRuntime !== undefined) {
      needFile("realtimeRuntime", "cpu.rt_runtime_us", "built without CONFIG_RT_GROUP_SCHED");
      w("cpu.rt_runtime_us", String(c.realtimeRuntime));
    }
  } else {
    if (c.realtimeRuntime !== undefined || c.realtimePeriod !== undefined) {
      throw new CgroupError("cannot set cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no real-time CPU limits; remove them");
    }
    if (c.shares) w("cpu.weight", String(sharesToWeight(c.shares)));
    if (c.quota !== undefined || c.period !== undefined) {
      const quota = c.quota === undefined || c.quota === -1 ? "max" : String(c.quota);
      w("cpu.max", `${quota} ${c.period ?? CPU_PERIOD_DEFAULT}`);
    }
  }
  if (c.idle !== undefined) {
    needFile("idle", "cpu.idle", "it needs Linux 5.15 or later");
    w("cpu.idle", String(c.idle));
  }
  if (c.burst !== undefined) {
    const file = version === 1 ? "cpu.cfs_burst_us" : "cpu.max.burst";
    if (probe.has("cpu", file)) w(file, String(c.burst));
    else plan.warnings.push(`cpu.burst ignored: the kernel has no ${file} (Linux 5.14 or later)`);
  }
}

function cpusetWrites(c: CpuResources, plan: WritePlan): void {
  // Same file names in both versions.
  if (c.cpus !== undefined) plan.writes.push({ controller: "cpuset", file: "cpuset.cpus", value: c.cpus });
  if (c.mems !== undefined) plan.writes.push({ controller: "cpuset", file: "cpuset.mems", value: c.mems });
}

function pidsWrites(limit: number | undefined, plan: WritePlan): void {
  if (!limit) return;
  plan.writes.push({ controller: "pids", file: "pids.max", value: limit < 0 ? "max" : String(limit) });
}

/** One line for a limit whose controller no mounted hierarchy has. */
export function missingControllerMessage(ctl: Controller): string {
  if (ctl === "unified") return `cannot set ${LIMIT_WHAT.unified}: this host has no cgroup v2 hierarchy (only cgroup v1)`;
  const name = ctl === "blkio" ? "blkio (v1) or io (v2)" : ctl;
  return `cannot set ${LIMIT_WHAT[ctl]}: no mounted cgroup hierarchy provides the ${name} controller`;
}

/**
 * Translate `r` into ordered control-file writes. `versionOf` tells which
 * cgroup version hosts each controller (hybrid hosts mix them).
 */
export function planWrites(
  r: Resources,
  versionOf: (c: Controller) => CgroupVersion | undefined,
  probe: PlanProbe,
): WritePlan {
  validateResources(r);
  const plan: WritePlan = { writes: [], warnings: [] };
  for (const ctl of requiredControllers(r)) {
    const version = versionOf(ctl);
    if (version === undefined) throw new CgroupError(missingControllerMessage(ctl));
    switch (ctl) {
      case "memory":
        if (version === 1) v1Memory(r.memory ?? {}, probe, plan);
        else v2Memory(r.memory ?? {}, probe, plan);
        break;
      case "cpu":
        cpuWrites(r.cpu ?? {}, version, probe, plan);
        break;
      case "cpuset":
        cpusetWrites(r.cpu ?? {}, plan);
        break;
      case "pids":
        pidsWrites(r.pids?.limit, plan);
        break;
      case "blkio":
        blkioWrites(r.blockIO ?? {}, version, probe, plan);
        break;
      case "hugetlb":
        hugetlbWrites(r.hugepageLimits ?? [], version, probe, plan);
        break;
      case "net_cls":
        networkWrites({ classID: r.network?.classID }, plan);
        break;
      case "net_prio":
        networkWrites({ priorities: r.network?.priorities }, plan);
        break;
      case "rdma":
        rdmaWrites(r.rdma ?? {}, plan);
        break;
      case "unified":
        unifiedWrites(r.unified ?? {}, probe, plan);
        break;
    }
  }
  return plan;
}
