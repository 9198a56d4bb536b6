// `zoo-runtime update`: new limits for a running container's cgroups, through
// the same resource model and write plan create uses (src/cgroups/limits.ts).
import { readFileSync } from "node:fs";
import type { UpdateArgs } from "../../cli/zoo-runtime/update.ts";
import { ContainerCgroup, type Resources } from "../../cgroups/index.ts";
import { RuntimeError } from "./errors.ts";
import { statusOf, type Store } from "./store.ts";

export interface UpdateRequest {
  resources: Resources;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
// Taken whole: their shapes and ranges are checked by the cgroup layer's validateResources.
const PASSED = ["blockIO", "hugepageLimits", "network", "rdma", "unified"] as const;
const KNOWN = new Set<string>(["memory", "cpu", "pids", "devices", ...PASSED]);

function num(o: Obj, key: string, field: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new RuntimeError(`--resources: ${field}.${key}: want an integer, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: Obj, key: string, field: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new RuntimeError(`--resources: ${field}.${key}: want true or false, got ${JSON.stringify(v)}`);
  return v;
}

function text(o: Obj, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new RuntimeError(`--resources: ${field}.${key}: want a string, got ${JSON.stringify(v)}`);
  return v;
}

const drop = <T extends object>(o: T): T | undefined => {
  const e = Object.entries(o).filter(([, v]) => v !== undefined);
  return e.length ? (Object.fromEntries(e) as T) : undefined;
};

/** OCI linux.resources JSON, then the flags on top (runc's order). Pure. */
export function updateRequest(json: string | undefined, a: Omit<UpdateArgs, "id" | "resourcesFile">): UpdateRequest {
  const r: Resources = {};
  if (json !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw new RuntimeError(`--resources: invalid JSON: ${(e as Error).message}`);
    }
    if (!isObj(raw)) throw new RuntimeError("--resources: want a JSON object (OCI linux.resources)");
    for (const [k, v] of Object.entries(raw)) {
      if (KNOWN.has(k) || v === null || (Array.isArray(v) && v.length === 0)) continue;
      throw new RuntimeError(`--resources: ${k}: not supported by update`);
    }
    if (isObj(raw.memory)) {
      const m = raw.memory;
      r.memory = {
        limit: num(m, "limit", "memory"),
        reservation: num(m, "reservation", "memory"),
        swap: num(m, "swap", "memory"),
        swappiness: num(m, "swappiness", "memory"),
        kernel: num(m, "kernel", "memory"),
        kernelTCP: num(m, "kernelTCP", "memory"),
        disableOOMKiller: bool(m, "disableOOMKiller", "memory"),
        useHierarchy: bool(m, "useHierarchy", "memory"),
        checkBeforeUpdate: bool(m, "checkBeforeUpdate", "memory"),
      };
    }
    if (isObj(raw.cpu)) {
      const c = raw.cpu;
      r.cpu = {
        shares: num(c, "shares", "cpu"),
        quota: num(c, "quota", "cpu"),
        period: num(c, "period", "cpu"),
        realtimeRuntime: num(c, "realtimeRuntime", "cpu"),
        realtimePeriod: num(c, "realtimePeriod", "cpu"),
        idle: num(c, "idle", "cpu"),
        burst: num(c, "burst", "cpu"),
        cpus: text(c, "cpus", "cpu"),
        mems: text(c, "mems", "cpu"),
      };
    }
    if (isObj(raw.pids)) r.pids = { limit: num(raw.pids, "limit", "pids") };
    for (const k of PASSED) if (raw[k] !== undefined && raw[k] !== null) (r as Obj)[k] = raw[k];
  }
  const set = <T, K extends keyof T>(o: T, k: K, v: T[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  const mem = { ...r.memory };
  set(mem, "limit", a.memory);
  set(mem, "swap", a.memorySwap);
  set(mem, "reservation", a.memoryReservation);
  set(mem, "kernel", a.kernelMemory);
  set(mem, "kernelTCP", a.kernelMemoryTcp);
  const cpu = { ...r.cpu };
  set(cpu, "shares", a.cpuShares);
  set(cpu, "quota", a.cpuQuota);
  set(cpu, "period", a.cpuPeriod);
  set(cpu, "realtimeRuntime", a.cpuRtRuntime);
  set(cpu, "realtimePeriod", a.cpuRtPeriod);
  set(cpu, "cpus", a.cpusetCpus);
  set(cpu, "mems", a.cpusetMems);
  const out: Resources = {};
  const m = drop(mem);
  const c = drop(cpu);
  const pids = a.pidsLimit ?? r.pids?.limit;
  if (m) out.memory = m;
  if (c) out.cpu = c;
  if (pids !== undefined) out.pids = { limit: pids };
  for (const k of PASSED) if (r[k] !== undefined) (out as Obj)[k] = r[k];
  if (a.blkioWeight !== undefined) out.blockIO = { ...out.blockIO, weight: a.blkioWeight };
  return { resources: out };
}

function readInput(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new RuntimeError(`--resources ${file}: ${(e as Error).message}`);
  }
}

/** Returns the warnings (limits the kernel here cannot enforce). */
export async function update(store: Store, a: UpdateArgs): Promise<string[]> {
  const req = updateRequest(a.resourcesFile === undefined ? undefined : readInput(a.resourcesFile), a);
  return store.locked(a.id, () => {
    const s = store.read(a.id);
    if (statusOf(s) === "stopped") throw new RuntimeError("container not running");
    if (!s.cgroup) throw new RuntimeError(`cannot update ${a.id}: it has no cgroup (rootless without a delegated cgroup)`);
    const cg = ContainerCgroup.restore(s.cgroup);
    return Object.keys(req.resources).length ? cg.update(req.resources) : [];
  });
}
