// The resource model (a subset of OCI `linux.resources`) and its translation
// into control-file writes. Pure: what exists on disk and the current values
// come in through a probe, so the mapping is testable without a kernel.

import { availableParallelism } from "node:os";
import type { CgroupVersion } from "./detect.ts";
import { CgroupConfigError, CgroupError } from "./errors.ts";

export interface MemoryResources {
  /** Bytes; -1 = unlimited. */
  limit?: number;
  /** OCI semantics: memory + swap in bytes; equal to `limit` = no swap; -1 = unlimited swap. */
  swap?: number;
  /** Soft limit in bytes; -1 = none. */
  reservation?: number;
  /** 0..100; cgroup v1 only (v2 has no per-cgroup swappiness). */
  swappiness?: number;
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
}

export interface PidsResources {
  /** Max tasks; -1 = unlimited; 0 = unset (OCI convention). */
  limit?: number;
}

export interface Resources {
  memory?: MemoryResources;
  cpu?: CpuResources;
  pids?: PidsResources;
}

export type Controller = "memory" | "cpu" | "cpuset" | "pids";

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
}

/** Words for error messages: "cannot set <what>". */
export const LIMIT_WHAT: Record<Controller, string> = {
  memory: "a memory limit",
  cpu: "a CPU limit",
  cpuset: "a CPU/memory-node set",
  pids: "a pids limit",
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

function checkInt(what: string, v: number | undefined, ok: (n: number) => boolean, rule: string): void {
  if (v === undefined) return;
  if (!Number.isSafeInteger(v) || !ok(v)) throw new CgroupConfigError(`${what} must be ${rule}, got ${v}`);
}

function checkPeriod(period: number | undefined): void {
  checkInt("cpu period", period, (n) => n >= 1_000 && n <= 1_000_000, "1000..1000000 µs");
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Reject inconsistent or out-of-range requests before anything is created. */
export function validateResources(r: Resources): void {
  const m = r.memory;
  if (m) {
    checkInt("memory limit", m.limit, (n) => n === -1 || n > 0, "-1 or a positive byte count");
    checkInt("memory+swap limit", m.swap, (n) => n === -1 || n > 0, "-1 or a positive byte count");
    checkInt("memory reservation", m.reservation, (n) => n >= -1, "-1 or a byte count");
    checkInt("memory swappiness", m.swappiness, (n) => n >= 0 && n <= 100, "0..100");
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
    for (const [what, v] of [
      ["cpuset cpus", c.cpus],
      ["cpuset mems", c.mems],
    ] as const) {
      if (v !== undefined && !CPU_LIST.test(v)) throw new CgroupConfigError(`${what} must be a list like "0-3,6", got ${JSON.stringify(v)}`);
    }
  }
  checkInt("pids limit", r.pids?.limit, () => true, "an integer");
}

/** Controllers that must be present and writable for `r` to be applied. */
export function requiredControllers(r: Resources): Controller[] {
  const out: Controller[] = [];
  const m = r.memory;
  if (m && (m.limit !== undefined || m.swap !== undefined || m.reservation !== undefined || m.swappiness !== undefined)) {
    out.push("memory");
  }
  const c = r.cpu;
  if (c && (c.shares || c.quota !== undefined || c.period !== undefined)) out.push("cpu");
  if (c && (c.cpus !== undefined || c.mems !== undefined)) out.push("cpuset");
  if (r.pids?.limit) out.push("pids");
  return out;
}

function parseV1Limit(text: string | undefined): number {
  const n = Number((text ?? "").trim());
  return text === undefined || !Number.isFinite(n) || n >= V1_UNLIMITED_FLOOR || n < 0 ? Infinity : n;
}

function v1Memory(m: MemoryResources, probe: PlanProbe, plan: WritePlan): void {
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
}

function v2Memory(m: MemoryResources, probe: PlanProbe, plan: WritePlan): void {
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
}

function cpuWrites(c: CpuResources, version: CgroupVersion, plan: WritePlan): void {
  const w = (file: string, value: string) => plan.writes.push({ controller: "cpu", file, value });
  if (version === 1) {
    if (c.shares) w("cpu.shares", String(c.shares));
    // Period before quota: a quota is judged against the period in force.
    if (c.period !== undefined) w("cpu.cfs_period_us", String(c.period));
    if (c.quota !== undefined) w("cpu.cfs_quota_us", String(c.quota));
  } else {
    if (c.shares) w("cpu.weight", String(sharesToWeight(c.shares)));
    if (c.quota !== undefined || c.period !== undefined) {
      const quota = c.quota === undefined || c.quota === -1 ? "max" : String(c.quota);
      w("cpu.max", `${quota} ${c.period ?? CPU_PERIOD_DEFAULT}`);
    }
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
    if (version === undefined) {
      throw new CgroupError(`cannot set ${LIMIT_WHAT[ctl]}: no mounted cgroup hierarchy provides the ${ctl} controller`);
    }
    switch (ctl) {
      case "memory":
        if (version === 1) v1Memory(r.memory ?? {}, probe, plan);
        else v2Memory(r.memory ?? {}, probe, plan);
        break;
      case "cpu":
        cpuWrites(r.cpu ?? {}, version, plan);
        break;
      case "cpuset":
        cpusetWrites(r.cpu ?? {}, plan);
        break;
      case "pids":
        pidsWrites(r.pids?.limit, plan);
        break;
    }
  }
  return plan;
}
