// linux.resources.network (v1 net_cls / net_prio; cgroup v2 has neither) and
// linux.resources.rdma (rdma.max in both versions).
import { CgroupConfigError } from "./errors.ts";
import { checkInt, checkList, checkObject } from "./limits-check.ts";
import type { WritePlan } from "./limits.ts";

export interface NetworkResources {
  classID?: number;
  priorities?: { name: string; priority: number }[];
}

export type RdmaResources = Record<string, { hcaHandles?: number; hcaObjects?: number }>;

const IFNAME = /^[^\s/:]{1,15}$/;
const U32 = (n: number) => n >= 0 && n <= 0xffffffff;

export function validateNetwork(n: NetworkResources | undefined): void {
  if (n === undefined || n === null) return;
  checkObject("network", n);
  checkInt("network.classID", n.classID, U32, "an integer 0..4294967295 (0xAAAABBBB: major AAAA, minor BBBB)");
  checkList("network.priorities", n.priorities, (p, field) => {
    if (typeof p.name !== "string" || !IFNAME.test(p.name)) throw new CgroupConfigError(`${field}.name must be a network interface name, got ${JSON.stringify(p.name)}`);
    checkInt(`${field}.priority`, p.priority, U32, "an integer 0..4294967295");
  });
}

export function validateRdma(r: RdmaResources | undefined): void {
  if (r === undefined || r === null) return;
  checkObject("rdma", r);
  for (const [dev, l] of Object.entries(r)) {
    const field = `rdma[${JSON.stringify(dev)}]`;
    if (!/^[^\s/]{1,64}$/.test(dev)) throw new CgroupConfigError(`${field}: not an RDMA device name`);
    if (typeof l !== "object" || l === null || Array.isArray(l)) throw new CgroupConfigError(`${field} must be an object like {"hcaHandles": 2}, got ${JSON.stringify(l)}`);
    checkInt(`${field}.hcaHandles`, l.hcaHandles, U32, "an integer 0..4294967295");
    checkInt(`${field}.hcaObjects`, l.hcaObjects, U32, "an integer 0..4294967295");
  }
}

export function networkWrites(n: NetworkResources, plan: WritePlan): void {
  if (n.classID !== undefined) plan.writes.push({ controller: "net_cls", file: "net_cls.classid", value: String(n.classID) });
  // ifpriomap takes one "interface priority" pair per write.
  for (const p of n.priorities ?? []) plan.writes.push({ controller: "net_prio", file: "net_prio.ifpriomap", value: `${p.name} ${p.priority}` });
}

export function rdmaWrites(r: RdmaResources, plan: WritePlan): void {
  for (const [dev, l] of Object.entries(r)) {
    const parts = [dev];
    if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
    if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
    if (parts.length > 1) plan.writes.push({ controller: "rdma", file: "rdma.max", value: parts.join(" ") });
  }
}
