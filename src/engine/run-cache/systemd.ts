// A `zoo run` under systemd's cgroup manager, as entry ops: the bus calls
// zoo made (Hello, StartTransientUnit of zoo-<short id>.scope holding its own
// pid), the wait until systemd moved it, and the leaf it then moved itself
// into (src/cgroups/systemd/scope.ts). Sites in the calls: the short ID's
// text where it is, and the pid where re-encoding with another pid differs.
import { encodeMessage, MessageType } from "../../sys/dbus/message.ts";
import type { SentCall } from "../../sys/dbus/observer.ts";
import type { DbusValue } from "../../sys/dbus/wire.ts";
import { Mark, Phase, REPLAY_SHORT_ID_LEN, RMkdir, Site } from "../../plan/replay-ids.ts";
import type { HostOp, PlanSite } from "../../runtime/oci/run-cache/entry.ts";
import { marker } from "../../runtime/oci/run-cache/template.ts";
import { no } from "../../runtime/oci/run-cache/refused.ts";
import type { EngineRecorder } from "./record.ts";
import { occurrences } from "./search.ts";

const ascii = new TextEncoder();

/** `body` with every number equal to `from` (at any depth) replaced by `to`. */
function swapNumber(v: DbusValue, from: number, to: number): DbusValue {
  if (typeof v === "number") return v === from ? to : v;
  if (Array.isArray(v)) return v.map((x) => swapNumber(x as DbusValue, from, to)) as DbusValue;
  if (v && typeof v === "object" && "sig" in v && "value" in v) return { ...v, value: swapNumber(v.value as DbusValue, from, to) } as DbusValue;
  return v;
}

const encodeCall = (c: SentCall, body: DbusValue[]) =>
  encodeMessage({ type: MessageType.MethodCall, flags: 0, serial: c.serial, ...c.options, signature: c.options.signature ?? "", body });

/** The pid's 4 bytes in the call, found by encoding it again with another pid; [] when the pid is not in it. */
function pidSites(c: SentCall, pid: number, base: number): PlanSite[] {
  const body = c.options.body ?? [];
  if (!Buffer.from(encodeCall(c, body)).equals(Buffer.from(c.bytes))) no(`the ${c.options.member} call does not encode the same twice`);
  // Every byte of the stand-in differs from the pid's: the difference is exactly its four bytes.
  const other = encodeCall(c, body.map((v) => swapNumber(v, pid, (pid ^ 0x5a5a5a5a) >>> 0)));
  if (other.length !== c.bytes.length) no(`the pid changes the length of ${c.options.member}`);
  const diff: number[] = [];
  for (let i = 0; i < other.length; i++) if (other[i] !== c.bytes[i]) diff.push(i);
  if (diff.length === 0) return [];
  const at = diff[0]!;
  const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
  if (diff.length !== 4 || diff[3] !== at + 3 || c.bytes[0] !== 0x6c /* 'l' */ || dv.getUint32(at, true) !== pid) no(`the pid in ${c.options.member} is not one little-endian u32`);
  return [{ offset: base + at, kind: Site.SELF_PID }];
}

/** The ops, in PREPARE, that put a replayed run where systemd put this one. */
export function systemdOps(r: EngineRecorder, id: string, t: (s: string) => string): HostOp[] {
  const scope = r.scope;
  if (!scope) {
    if (r.dbus.length > 0) no("bus calls without a scope");
    return [];
  }
  const calls = r.dbus;
  if (calls.length === 0) no("a scope without bus calls");
  if (calls.some((c) => c.socketPath !== calls[0]!.socketPath || c.uid !== process.geteuid!())) no("bus calls on several connections");
  if (calls.map((c) => c.serial).join(",") !== calls.map((_, i) => i + 1).join(",")) no("bus calls out of order");
  const short = ascii.encode(id.slice(0, REPLAY_SHORT_ID_LEN));
  const messages = new Uint8Array(calls.reduce((n, c) => n + c.bytes.length, 0));
  const sites: PlanSite[] = [];
  let base = 0;
  for (const c of calls) {
    messages.set(c.bytes, base);
    sites.push(...pidSites(c, process.pid, base));
    base += c.bytes.length;
  }
  // The short ID (unit name, description) where its text is: 48 random bits.
  for (const at of occurrences(messages, short)) {
    if (sites.some((s) => s.offset < at + short.length && at < s.offset + 4)) no("the short ID overlaps the pid");
    sites.push({ offset: at, kind: Site.ID_SHORT });
  }
  if (!sites.some((s) => s.kind === Site.SELF_PID)) no("no pid in the bus calls");
  if (Buffer.from(messages).includes(Buffer.from(id))) no("the whole ID in the bus calls");
  sites.sort((a, b) => a.offset - b.offset);
  if (scope.unit !== `zoo-${id.slice(0, REPLAY_SHORT_ID_LEN)}.scope`) no(`scope ${scope.unit} is not named after the ID`);
  return [
    { op: "dbus", phase: Phase.PREPARE, socket: calls[0]!.socketPath, messages, sites },
    { op: "await-cgroup", phase: Phase.PREPARE, timeoutMs: scope.timeoutMs, suffix: t(scope.unit) },
    { op: "mkdir", phase: Phase.PREPARE, mode: scope.leafMode, flags: RMkdir.KEEP, path: t(scope.leaf) },
    { op: "write", phase: Phase.PREPARE, path: t(`${scope.leaf}/cgroup.procs`), content: marker(Mark.SELF_PID) },
  ];
}
