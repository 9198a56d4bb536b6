// Reads a run cache entry back (docs/design/run-cache.md), independently of
// the encoder: what the front door would see.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUN_CACHE_DIR } from "../../src/runtime/oci/run-cache/key.ts";
import { Guard, Phase, REPLAY_HEADER_SIZE, REPLAY_MAGIC, REPLAY_VERSION, RR } from "../../src/plan/replay-ids.ts";
import type { Entry, Guard as EntryGuard, HostOp } from "../../src/runtime/oci/run-cache/entry.ts";
import type { BuildContext } from "../../src/runtime/plan-builder.ts";

const latin = new TextDecoder("utf-8");

class Fields {
  private off = 0;
  constructor(private readonly b: Uint8Array) {}
  private dv = () => new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
  u32(): number {
    const v = this.dv().getUint32(this.off, true);
    this.off += 4;
    return v;
  }
  blob(): Uint8Array {
    const n = this.u32();
    const v = this.b.slice(this.off, this.off + n);
    if (v.length !== n) throw new Error("blob past the record");
    this.off += n;
    return v;
  }
  str(): string {
    const b = this.blob();
    if (b.length === 0 || b[b.length - 1] !== 0 || b.indexOf(0) !== b.length - 1) throw new Error("bad str");
    return latin.decode(b.subarray(0, -1));
  }
  end(): void {
    if (this.off !== this.b.length) throw new Error(`record has ${this.b.length - this.off} bytes left`);
  }
}

export interface RawRecord {
  type: number;
  payload: Uint8Array;
}

export function records(bytes: Uint8Array): RawRecord[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== REPLAY_MAGIC) throw new Error("bad magic");
  if (dv.getUint16(4, true) !== REPLAY_VERSION || dv.getUint16(6, true) !== REPLAY_HEADER_SIZE) throw new Error("bad version or header size");
  if (dv.getUint32(8, true) !== bytes.length) throw new Error("total size is not the file's");
  const count = dv.getUint32(12, true);
  const out: RawRecord[] = [];
  let off = REPLAY_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const type = dv.getUint16(off, true);
    if (dv.getUint16(off + 2, true) !== 0) throw new Error("reserved field is not 0");
    const len = dv.getUint32(off + 4, true);
    out.push({ type, payload: bytes.slice(off + 8, off + 8 + len) });
    off += 8 + len + ((4 - (len % 4)) % 4);
  }
  if (off !== bytes.length) throw new Error("records do not end at the total size");
  return out;
}

export function decodeEntry(bytes: Uint8Array): Entry {
  const e: Entry = { key: new Uint8Array(), guards: [], shim: "", plan: new Uint8Array(), sites: [], cleanup: [], ops: [] };
  const seen = new Map<number, number>();
  let lastPhase = 0;
  for (const r of records(bytes)) {
    seen.set(r.type, (seen.get(r.type) ?? 0) + 1);
    const f = new Fields(r.payload);
    let op: HostOp | null = null;
    switch (r.type) {
      case RR.KEY:
        e.key = f.blob();
        break;
      case RR.FLAGS:
        e.flags = f.u32();
        break;
      case RR.GUARD_FILE:
        e.guards.push({ kind: "file", path: f.str(), content: f.blob() } as EntryGuard);
        break;
      case RR.GUARD_STAT: {
        const is = f.u32();
        if (!Object.values(Guard).includes(is as never)) throw new Error(`bad guard ${is}`);
        e.guards.push({ kind: "stat", is, path: f.str() });
        break;
      }
      case RR.SHIM:
        e.shim = f.str();
        break;
      case RR.PLAN:
        e.plan = f.blob();
        break;
      case RR.PLAN_SITE:
        e.sites.push({ offset: f.u32(), kind: f.u32() });
        break;
      case RR.CLEANUP:
        e.cleanup.push(f.str());
        break;
      default: {
        const phase = f.u32() as HostOp["phase"];
        if (!Object.values(Phase).includes(phase)) throw new Error(`bad phase ${phase}`);
        if (phase < lastPhase) throw new Error("host ops out of phase order");
        lastPhase = phase;
        if (r.type === RR.MKDIR) op = { op: "mkdir", phase, mode: f.u32(), flags: f.u32(), path: f.str() };
        else if (r.type === RR.LOCK) op = { op: "lock", phase, path: f.str() };
        else if (r.type === RR.UNLOCK) op = { op: "unlock", phase, path: f.str() };
        else if (r.type === RR.MKFIFO) op = { op: "mkfifo", phase, mode: f.u32(), path: f.str() };
        else if (r.type === RR.OPEN) op = { op: "open", phase, flags: f.u32(), slot: f.u32(), path: f.str() };
        else if (r.type === RR.WRITE) op = { op: "write", phase, path: f.str(), content: f.str() };
        else if (r.type === RR.REPLACE) op = { op: "replace", phase, mode: f.u32(), path: f.str(), content: f.str() };
        else if (r.type === RR.DEVICE_BPF) op = { op: "device-bpf", phase, dir: f.str(), insns: f.blob() };
        else if (r.type === RR.RMDIR) op = { op: "rmdir", phase, flags: f.u32(), path: f.str() };
        else if (r.type === RR.RMTREE) op = { op: "rmtree", phase, path: f.str() };
        else if (r.type === RR.START) op = { op: "start", phase, fifo: f.str() };
        else if (r.type === RR.RMTREE_ALL) op = { op: "rmtree-all", phase, path: f.str() };
        else if (r.type === RR.OOM_NOTE) op = { op: "oom-note", phase, file: f.str(), message: f.str() };
        else if (r.type === RR.NETLINK) {
          const [where, protocol, okErrno, offset, value] = [f.u32(), f.u32(), f.u32(), f.u32(), f.u32()];
          op = { op: "netlink", phase, where, protocol, okErrno, expect: offset ? { offset, value } : null, message: f.blob(), sites: sitePairs(f.blob()) };
        } else if (r.type === RR.LEASE || r.type === RR.RELEASE) {
          const [lock, dir, file, content] = [f.str(), f.str(), f.str(), f.str()];
          const args = new TextDecoder().decode(f.blob()).split("\0").slice(0, -1);
          op = r.type === RR.LEASE ? { op: "lease", phase, lock, dir, file, content, args } : { op: "release", phase, lock, dir, file, content, args };
        } else if (r.type === RR.DBUS) op = { op: "dbus", phase, socket: f.str(), messages: f.blob(), sites: sitePairs(f.blob()) };
        else if (r.type === RR.AWAIT_CGROUP) op = { op: "await-cgroup", phase, timeoutMs: f.u32(), suffix: f.str() };
        else throw new Error(`unknown record type ${r.type}`);
        e.ops.push(op);
      }
    }
    f.end();
  }
  if ((seen.get(RR.FLAGS) ?? 0) > 1) throw new Error("more than one FLAGS record");
  for (const t of [RR.KEY, RR.SHIM, RR.PLAN]) if (seen.get(t) !== 1) throw new Error(`record ${t} appears ${seen.get(t) ?? 0} times`);
  return e;
}

/** A template string with its markers shown as <I>, <T>, ... for reading and comparing. */
export const showMarkers = (s: string) => s.replace(/\x01(.)/g, "<$1>");

/**
 * Removes the run cache entries of runs with `--root root` (their key holds
 * the argument) or, for zoo run, with ZOO_ROOT=root in the environment (the
 * key holds that too), which a suite's foreground runs write to /run/zoo/cache/run;
 * returns how many are left that should have gone (0). Others' entries stay.
 */
export function removeRunCacheEntries(root: string, dir = RUN_CACHE_DIR): number {
  const mine = (file: string) => {
    try {
      const first = records(readFileSync(file))[0];
      const key = first?.type === RR.KEY ? Buffer.from(first.payload).subarray(4) : null;
      return !!key && (key.includes(`\0arg=${root}\0`) || key.includes(`\0env=ZOO_ROOT=${root}\0`));
    } catch {
      return false;
    }
  };
  const names = () => {
    try {
      return readdirSync(dir).map((n) => join(dir, n));
    } catch {
      return [];
    }
  };
  for (const f of names().filter(mine)) rmSync(f, { force: true });
  return names().filter(mine).length;
}

/** The BuildContext launch.ts gives a zoo-runtime `run` (fifo at fd 5, no seccomp agent, no user namespace), with this run's parts. */
export function runtimeRunContext(o: Pick<BuildContext, "rootMount" | "cgroupFd" | "cgroupPaths" | "sourceIsFile"> & Partial<BuildContext>): BuildContext {
  return { seccomp: null, gidMapped: () => true, setgroupsAllowed: true, foreground: false, waitStart: "/proc/self/fd/5", preserveFds: 0, ...o };
}

function sitePairs(raw: Uint8Array): { offset: number; kind: number }[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / 8 }, (_, i) => ({ offset: dv.getUint32(i * 8, true), kind: dv.getUint32(i * 8 + 4, true) }));
}
