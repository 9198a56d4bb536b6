// A `zoo run`'s network as entry ops (docs/design/run-cache.md, NETLINK,
// LEASE, RELEASE): each netlink request where and when it was sent, with
// the ID's text and the container's pid as sites; and a bridge network's
// lease. The lease is replayable only while the network has no other
// container: then the address is the one this run got, and no one else's
// hosts file names it. With neighbours the Bun path chooses and rewrites.
import { join } from "node:path";
import { LEASE_FILE, type Lease } from "../../net/bridge/leases.ts";
import { IFLA, RTM } from "../../net/netlink/constants.ts";
import type { SentRequest } from "../../net/netlink/socket.ts";
import { Mark, NetlinkWhere, Phase, RMkdir, Site } from "../../plan/replay-ids.ts";
import type { HostOp, PlanSite } from "../../runtime/oci/run-cache/entry.ts";
import { no } from "../../runtime/oci/run-cache/refused.ts";
import { fillMarkers, fillPlan, marker, placeholder, placeholdersToMarkers } from "../../runtime/oci/run-cache/template.ts";
import type { EngineRecorder } from "./record.ts";
import { markValues, searchPlanSites, siteLength, type RunValues } from "./search.ts";

const RTA_HEADER = 4;

/**
 * Where the container's pid is in a request: the payload of each
 * IFLA_NET_NS_PID attribute (a veth peer born in its namespace). Found by
 * the attribute's header, not by the value alone, which could be anything's;
 * one that holds another pid names a namespace the entry cannot.
 */
function pidSites(msg: Uint8Array, pid: number, late: boolean): PlanSite[] {
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const out: PlanSite[] = [];
  for (let at = RTA_HEADER; at + 4 <= msg.length; at += 4) {
    if (dv.getUint16(at - 4, true) !== RTA_HEADER + 4 || dv.getUint16(at - 2, true) !== IFLA.NET_NS_PID) continue;
    if (!late || dv.getUint32(at, true) !== pid) no("a netlink request names a namespace by another process");
    out.push({ offset: at, kind: Site.CHILD_PID });
  }
  return out;
}

/**
 * A link's index that later requests were built on: the answer to a GET of
 * one link (its ifinfomsg's ifi_index, after the 16-byte header) must say it
 * again, or the replay falls back. In a new network namespace eth0's index
 * depends on which tunnel modules the host has loaded since.
 */
function expectedAnswer(n: SentRequest): { offset: number; value: number } | null {
  const type = new DataView(n.message.buffer, n.message.byteOffset).getUint16(4, true);
  if (type !== RTM.GETLINK || !n.answer) return null;
  if (n.answer.type !== RTM.NEWLINK || n.answer.payload.length < 8) no("a link's GET answered with something else");
  return { offset: 16 + 4, value: new DataView(n.answer.payload.buffer, n.answer.payload.byteOffset).getUint32(4, true) };
}

export function netlinkOps(r: EngineRecorder, v: RunValues): HostOp[] {
  return r.netlink.map((n) => {
    const where = n.netnsPid === null ? NetlinkWhere.HOST : n.netnsPid === r.childPid ? NetlinkWhere.CONTAINER : no("a netlink request in another namespace");
    if (where === NetlinkWhere.CONTAINER && n.phase !== Phase.CHILD) no("a netlink request in the container's namespace outside its setup");
    const found = searchPlanSites(n.message, v) ?? no("a netlink request differs from its template in more than the ID");
    if (found.sites.some((s) => s.kind === Site.TOKEN)) no("the run token in a netlink request");
    const pids = pidSites(found.template, r.childPid, n.phase >= Phase.CHILD);
    const template = found.template;
    for (const p of pids) {
      if (found.sites.some((s) => s.offset < p.offset + 4 && p.offset < s.offset + siteLength(s.kind, v))) no("the pid overlaps the ID in a netlink request");
      template.fill(0, p.offset, p.offset + 4);
    }
    // The front door's filling, done here: it must give the request back.
    const filled = fillPlan(template, found.sites, v.id, v.token);
    for (const p of pids) new DataView(filled.buffer, filled.byteOffset).setUint32(p.offset, r.childPid, true);
    if (!Buffer.from(filled).equals(Buffer.from(n.message))) no("a netlink request does not fill back");
    const sites = [...found.sites, ...pids].sort((a, b) => a.offset - b.offset);
    return { op: "netlink", phase: n.phase, where, protocol: n.protocol, okErrno: n.okErrno, expect: expectedAnswer(n), message: template, sites };
  });
}

/** The lease ops: taken in CHILD (before the veth), given back in TEARDOWN. */
export function leaseOps(r: EngineRecorder, id: string, v: RunValues, t: (s: string) => string): { child: HostOp[]; teardown: HostOp[] } {
  const b = r.bridge;
  if (!b) return { child: [], teardown: [] };
  if (!b.alone) no(`network ${b.net.name} had other containers`);
  const text = b.text ?? no("no lease was written");
  const leases = JSON.parse(text) as Lease[];
  const l = leases[0];
  if (leases.length !== 1 || !l || l.id !== id) no("the lease file holds other leases");
  if (l.ownerPid !== process.pid || l.pid !== r.childPid) no("the lease's owner or pid is not this run's");
  if (l.name !== undefined || l.ports.length > 0) no("a lease with a name or ports");
  // Serialized as leases.ts writes it, with placeholders where the per-run values go, as state.json's template is.
  const shaped = JSON.stringify([{ ...l, ownerPid: placeholder(Mark.SELF_PID), ownerStart: placeholder(Mark.SELF_START), pid: placeholder(Mark.PID) }], null, 1) + "\n";
  const content = placeholdersToMarkers(t(shaped), [Mark.SELF_PID, Mark.PID]);
  const values = { ...markValues(v), [Mark.SELF_PID]: String(process.pid), [Mark.PID]: String(r.childPid), [Mark.SELF_START]: l.ownerStart };
  if (fillMarkers(content, values) !== text) no("the lease does not fill back");
  const lock = join(b.root, "lock");
  const args = ["__zoo-release-lease", b.net.bridge, marker(Mark.ID)];
  const dir = join(b.root, b.net.bridge);
  return {
    child: [
      { op: "mkdir", phase: Phase.CHILD, mode: 0o700, flags: RMkdir.EXIST_OK, path: b.root },
      // Its undo runs the same helper when a neighbour joined meanwhile.
      { op: "lease", phase: Phase.CHILD, lock, dir, file: LEASE_FILE, content, args },
    ],
    teardown: [{ op: "release", phase: Phase.TEARDOWN, lock, dir, file: LEASE_FILE, content, args }],
  };
}
