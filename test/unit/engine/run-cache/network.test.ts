import { expect, test } from "bun:test";
import { leaseOps, netlinkOps } from "../../../../src/engine/run-cache/network.ts";
import { EngineRecorder } from "../../../../src/engine/run-cache/record.ts";
import { templateOf } from "../../../../src/engine/run-cache/search.ts";
import { DEFAULT_NETWORK } from "../../../../src/net/bridge/networks.ts";
import { AF, IFLA, IFLA_INFO, NLM_F, RTM, VETH_INFO_PEER } from "../../../../src/net/netlink/constants.ts";
import { attr, encodeMessage, ifinfomsg } from "../../../../src/net/netlink/encode.ts";
import { Mark, NetlinkWhere, Phase, Site } from "../../../../src/plan/replay-ids.ts";
import { Refused } from "../../../../src/runtime/oci/run-cache/refused.ts";
import { fillMarkers, fillPlan } from "../../../../src/runtime/oci/run-cache/template.ts";

const id = "5e2a9c0d81b7e6f5a4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070605";
const short = id.slice(0, 12);
const v = { id, token: "Ab3_x-9Z" };
const CHILD = 4242;

function recorder(): EngineRecorder {
  const r = new EngineRecorder(["run"], "/var/lib/zoo");
  r.stop();
  r.childPid = CHILD;
  return r;
}

/** createVeth's request (links.ts), with a master index equal to the pid as a decoy. */
const veth = () =>
  encodeMessage({
    type: RTM.NEWLINK,
    flags: NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL,
    seq: 7,
    header: ifinfomsg(),
    attrs: [
      attr.str(IFLA.IFNAME, `z${short}`),
      attr.u32(IFLA.MASTER, CHILD),
      attr.nested(IFLA.LINKINFO, [
        attr.str(IFLA_INFO.KIND, "veth"),
        attr.nested(IFLA_INFO.DATA, [attr.headed(VETH_INFO_PEER, ifinfomsg({ family: AF.UNSPEC }), [attr.str(IFLA.IFNAME, "eth0"), attr.u32(IFLA.NET_NS_PID, CHILD)])]),
      ]),
    ],
  });

test("a request's short ID and the pid of IFLA_NET_NS_PID become sites; the same number elsewhere does not", () => {
  const r = recorder();
  const message = veth();
  r.netlink.push({ netnsPid: null, protocol: 0, message, okErrno: 0, phase: Phase.CHILD });
  const [op] = netlinkOps(r, v);
  if (op?.op !== "netlink") throw new Error("no netlink op");
  expect([op.where, op.protocol, op.okErrno, op.phase]).toEqual([NetlinkWhere.HOST, 0, 0, Phase.CHILD]);
  expect(op.sites.map((s) => s.kind)).toEqual([Site.ID_SHORT, Site.CHILD_PID]);
  const pidAt = op.sites[1]!.offset;
  expect(new DataView(message.buffer).getUint32(pidAt, true)).toBe(CHILD);
  expect(new DataView(message.buffer).getUint16(pidAt - 2, true)).toBe(IFLA.NET_NS_PID);
  // The decoy (IFLA_MASTER) keeps its value; the sites are blank in the template and fill back.
  expect(op.message.subarray(pidAt, pidAt + 4)).toEqual(new Uint8Array(4));
  const filled = fillPlan(op.message, op.sites.filter((s) => s.kind !== Site.CHILD_PID), id, v.token);
  new DataView(filled.buffer).setUint32(pidAt, CHILD, true);
  expect(filled).toEqual(message);
});

test("a link's GET pins the index its answer gave; a pid attribute of another process refuses the entry", () => {
  const get = encodeMessage({ type: RTM.GETLINK, flags: NLM_F.REQUEST | NLM_F.ACK, seq: 3, header: ifinfomsg(), attrs: [attr.str(IFLA.IFNAME, "eth0")] });
  const r = recorder();
  r.netlink.push({ netnsPid: CHILD, protocol: 0, message: get, okErrno: 0, phase: Phase.CHILD, answer: { type: RTM.NEWLINK, payload: ifinfomsg({ index: 3 }) } });
  r.netlink.push({ netnsPid: CHILD, protocol: 0, message: get, okErrno: 0, phase: Phase.CHILD });
  expect(netlinkOps(r, v).map((o) => o.op === "netlink" && o.expect)).toEqual([{ offset: 20, value: 3 }, null]);
  const odd = recorder();
  odd.netlink.push({ netnsPid: CHILD, protocol: 0, message: get, okErrno: 0, phase: Phase.CHILD, answer: { type: RTM.NEWADDR, payload: new Uint8Array(8) } });
  expect(() => netlinkOps(odd, v)).toThrow("answered with something else");
  const other = recorder();
  other.childPid = CHILD + 1;
  other.netlink.push({ netnsPid: null, protocol: 0, message: veth(), okErrno: 0, phase: Phase.CHILD });
  expect(() => netlinkOps(other, v)).toThrow("namespace by another process");
  const early = recorder();
  early.netlink.push({ netnsPid: null, protocol: 0, message: veth(), okErrno: 0, phase: Phase.PREPARE });
  expect(() => netlinkOps(early, v)).toThrow("namespace by another process");
});

test("where a request was sent is kept; a container's request outside its setup, or another namespace, refuses the entry", () => {
  const lo = encodeMessage({ type: RTM.NEWLINK, flags: NLM_F.REQUEST | NLM_F.ACK, seq: 1, header: ifinfomsg({ index: 1, flags: 1, change: 1 }) });
  const r = recorder();
  r.netlink.push({ netnsPid: CHILD, protocol: 0, message: lo, okErrno: 0, phase: Phase.CHILD });
  r.netlink.push({ netnsPid: null, protocol: 12, message: lo, okErrno: 19, phase: Phase.TEARDOWN });
  expect(netlinkOps(r, v).map((o) => o.op === "netlink" && [o.where, o.protocol, o.okErrno, o.phase, o.sites.length])).toEqual([
    [NetlinkWhere.CONTAINER, 0, 0, Phase.CHILD, 0],
    [NetlinkWhere.HOST, 12, 19, Phase.TEARDOWN, 0],
  ]);
  const late = recorder();
  late.netlink.push({ netnsPid: CHILD, protocol: 0, message: lo, okErrno: 0, phase: Phase.TEARDOWN });
  expect(() => netlinkOps(late, v)).toThrow(Refused);
  const other = recorder();
  other.netlink.push({ netnsPid: CHILD + 1, protocol: 0, message: lo, okErrno: 0, phase: Phase.CHILD });
  expect(() => netlinkOps(other, v)).toThrow("another namespace");
});

function leased(alone = true, extra: object = {}): EngineRecorder {
  const r = recorder();
  const lease = { ip: "10.88.0.2", subnet: "10.88.0.0/16", id, hostname: short, ownerPid: process.pid, ownerStart: "123456", ports: [], hostsFile: `/var/lib/zoo/containers/${id}/hosts`, index: 0, pid: CHILD, veth: `z${short}`, ...extra };
  r.bridge = { net: DEFAULT_NETWORK, alone, root: "/run/zoo/net", text: JSON.stringify([lease], null, 1) + "\n" };
  return r;
}

test("the lease becomes LEASE and RELEASE with markers that fill back to the file zoo wrote", () => {
  const r = leased();
  const t = (s: string) => templateOf(s, v);
  const { child, teardown } = leaseOps(r, id, v, t);
  expect(child.map((o) => o.op)).toEqual(["mkdir", "lease"]);
  const take = child[1]!;
  const give = teardown[0]!;
  if (take.op !== "lease" || give.op !== "release") throw new Error("wrong ops");
  expect([take.lock, take.dir, take.file, take.phase]).toEqual(["/run/zoo/net/lock", "/run/zoo/net/zoo0", "leases.json", Phase.CHILD]);
  expect(give.content).toBe(take.content);
  expect(give.args).toEqual(["__zoo-release-lease", "zoo0", "\x01I"]);
  expect(take.args).toEqual(give.args);
  expect(take.content).toContain('"ownerPid": \x01F,');
  expect(take.content).toContain('"pid": \x01P,');
  expect(take.content).toContain('"ownerStart": "\x01f"');
  expect(take.content).toContain('"veth": "z\x01i"');
  const filled = fillMarkers(take.content, { [Mark.ID]: id, [Mark.ID_SHORT]: short, [Mark.SELF_PID]: String(process.pid), [Mark.PID]: String(CHILD), [Mark.SELF_START]: "123456" });
  expect(filled).toBe(r.bridge!.text!);
});

test("a lease on a network with others, with a name or ports, or of another owner gets no entry", () => {
  const t = (s: string) => templateOf(s, v);
  expect(() => leaseOps(leased(false), id, v, t)).toThrow("had other containers");
  expect(() => leaseOps(leased(true, { name: "web" }), id, v, t)).toThrow(Refused);
  expect(() => leaseOps(leased(true, { ports: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] }), id, v, t)).toThrow(Refused);
  expect(() => leaseOps(leased(true, { ownerPid: 1 }), id, v, t)).toThrow("owner");
  expect(leaseOps(recorder(), id, v, t)).toEqual({ child: [], teardown: [] });
});
