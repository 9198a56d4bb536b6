// A cache entry as bytes: the plan's framing with magic "ZOOR", one record
// per field of the entry, host ops in phase order (record order within one).
import { encodeFramed, Payload, type PlanRecord } from "../../../plan/encode.ts";
import { Guard as GuardKind, REPLAY_HEADER_SIZE, REPLAY_MAGIC, REPLAY_MAX_SIZE, REPLAY_VERSION, RR } from "../../../plan/replay-ids.ts";
import type { Entry, Guard, HostOp, PlanSite } from "./entry.ts";

const rec = (type: number, p: Payload): PlanRecord => ({ type, payload: p.bytes() });

function guardRecord(g: Guard): PlanRecord {
  if (g.kind === "file") return rec(RR.GUARD_FILE, new Payload().str(g.path).blob(g.content));
  if (!Object.values(GuardKind).includes(g.is as never)) throw new Error(`unknown stat guard ${g.is}`);
  return rec(RR.GUARD_STAT, new Payload().u32(g.is).str(g.path));
}

/** A blob of u32 (offset, kind) pairs, as DBUS and NETLINK carry their sites. */
function sitePairs(sites: PlanSite[]): Uint8Array {
  const out = new Uint8Array(sites.length * 8);
  const dv = new DataView(out.buffer);
  sites.forEach((s, i) => {
    dv.setUint32(i * 8, s.offset, true);
    dv.setUint32(i * 8 + 4, s.kind, true);
  });
  return out;
}

export function opRecord(o: HostOp): PlanRecord {
  const p = new Payload().u32(o.phase);
  switch (o.op) {
    case "mkdir":
      return rec(RR.MKDIR, p.u32(o.mode).u32(o.flags).str(o.path));
    case "lock":
      return rec(RR.LOCK, p.str(o.path));
    case "unlock":
      return rec(RR.UNLOCK, p.str(o.path));
    case "mkfifo":
      return rec(RR.MKFIFO, p.u32(o.mode).str(o.path));
    case "open":
      return rec(RR.OPEN, p.u32(o.flags).u32(o.slot).str(o.path));
    case "write":
      return rec(RR.WRITE, p.str(o.path).str(o.content));
    case "replace":
      return rec(RR.REPLACE, p.u32(o.mode).str(o.path).str(o.content));
    case "device-bpf":
      return rec(RR.DEVICE_BPF, p.str(o.dir).blob(o.insns));
    case "rmdir":
      return rec(RR.RMDIR, p.u32(o.flags).str(o.path));
    case "rmtree":
      return rec(RR.RMTREE, p.str(o.path));
    case "start":
      return rec(RR.START, p.str(o.fifo));
    case "rmtree-all":
      return rec(RR.RMTREE_ALL, p.str(o.path));
    case "oom-note":
      return rec(RR.OOM_NOTE, p.str(o.file).str(o.message));
    case "netlink":
      return rec(RR.NETLINK, p.u32(o.where).u32(o.protocol).u32(o.okErrno).u32(o.expect?.offset ?? 0).u32(o.expect?.value ?? 0).blob(o.message).blob(sitePairs(o.sites)));
    case "lease":
    case "release":
      return rec(o.op === "lease" ? RR.LEASE : RR.RELEASE, p.str(o.lock).str(o.dir).str(o.file).str(o.content).blob(new TextEncoder().encode(o.args.map((a) => a + "\0").join(""))));
    case "dbus":
      return rec(RR.DBUS, p.str(o.socket).blob(o.messages).blob(sitePairs(o.sites)));
    case "await-cgroup":
      return rec(RR.AWAIT_CGROUP, p.u32(o.timeoutMs).str(o.suffix));
  }
}

export function encodeEntry(e: Entry): Uint8Array {
  const records: PlanRecord[] = [rec(RR.KEY, new Payload().blob(e.key)), ...(e.flags ? [rec(RR.FLAGS, new Payload().u32(e.flags))] : []), ...e.guards.map(guardRecord), rec(RR.SHIM, new Payload().str(e.shim)), rec(RR.PLAN, new Payload().blob(e.plan))];
  for (const s of e.sites) records.push(rec(RR.PLAN_SITE, new Payload().u32(s.offset).u32(s.kind)));
  for (const c of e.cleanup) records.push(rec(RR.CLEANUP, new Payload().str(c)));
  // A stable sort: the front door runs each phase's ops in record order.
  const ops = e.ops.map((o, i) => ({ o, i })).sort((a, b) => a.o.phase - b.o.phase || a.i - b.i);
  for (const { o } of ops) records.push(opRecord(o));
  return encodeFramed(records, { magic: REPLAY_MAGIC, version: REPLAY_VERSION, headerSize: REPLAY_HEADER_SIZE, maxSize: REPLAY_MAX_SIZE, what: "run cache entry" });
}
