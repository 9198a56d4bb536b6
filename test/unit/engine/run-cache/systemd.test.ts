import { expect, test } from "bun:test";
import { scopeProperties } from "../../../../src/cgroups/systemd/unit.ts";
import { systemdOps } from "../../../../src/engine/run-cache/systemd.ts";
import { EngineRecorder } from "../../../../src/engine/run-cache/record.ts";
import { encodeMessage, MessageType } from "../../../../src/sys/dbus/message.ts";
import type { SentCall } from "../../../../src/sys/dbus/observer.ts";
import { Mark, Phase, RMkdir, Site } from "../../../../src/plan/replay-ids.ts";
import { templateOf } from "../../../../src/engine/run-cache/search.ts";

const id = "5e2a9c0d81b7e6f5a4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070605";
const unit = `zoo-${id.slice(0, 12)}.scope`;
const SYSTEMD = { destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager" };

function call(serial: number, options: SentCall["options"]): SentCall {
  const bytes = encodeMessage({ type: MessageType.MethodCall, flags: 0, serial, ...options, signature: options.signature ?? "", body: options.body ?? [] });
  return { socketPath: "/run/dbus/system_bus_socket", uid: process.geteuid!(), serial, options, bytes };
}

function recorded(): EngineRecorder {
  const r = new EngineRecorder(["run"], "/var/lib/zoo");
  r.stop();
  r.dbus.push(call(1, { destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello" }));
  const props = scopeProperties({ unit, slice: "zoo.slice", pid: process.pid, description: `zoo container ${id.slice(0, 12)}` });
  r.dbus.push(call(2, { ...SYSTEMD, member: "StartTransientUnit", signature: "ssa(sv)a(sa(sv))", body: [unit, "fail", props, []] }));
  r.scope = { unit, timeoutMs: 20000, leaf: `/sys/fs/cgroup/zoo.slice/${unit}/supervisor`, leafMode: 0o777 };
  return r;
}

test("the bus calls become one DBUS op with the pid and the short ID as sites, then the wait and the leaf", () => {
  const r = recorded();
  const ops = systemdOps(r, id, (s) => templateOf(s, { id, token: "" }));
  expect(ops.map((o) => o.op)).toEqual(["dbus", "await-cgroup", "mkdir", "write"]);
  const d = ops[0] as Extract<(typeof ops)[number], { op: "dbus" }>;
  expect(d.messages.length).toBe(r.dbus[0]!.bytes.length + r.dbus[1]!.bytes.length);
  const pids = d.sites.filter((s) => s.kind === Site.SELF_PID);
  expect(pids).toHaveLength(1);
  expect(new DataView(d.messages.buffer).getUint32(pids[0]!.offset, true)).toBe(process.pid);
  // The unit name and the description.
  const shorts = d.sites.filter((s) => s.kind === Site.ID_SHORT);
  expect(shorts).toHaveLength(2);
  for (const s of shorts) expect(new TextDecoder().decode(d.messages.subarray(s.offset, s.offset + 12))).toBe(id.slice(0, 12));
  expect(ops[1]).toEqual({ op: "await-cgroup", phase: Phase.PREPARE, timeoutMs: 20000, suffix: `zoo-\x01${Mark.ID_SHORT}.scope` });
  expect(ops[2]).toMatchObject({ op: "mkdir", flags: RMkdir.KEEP, path: `/sys/fs/cgroup/zoo.slice/zoo-\x01${Mark.ID_SHORT}.scope/supervisor` });
  expect(ops[3]).toMatchObject({ op: "write", content: `\x01${Mark.SELF_PID}` });
});

test("no scope, no ops; calls that do not fit are refused", () => {
  const none = new EngineRecorder(["run"], "/x");
  none.stop();
  expect(systemdOps(none, id, (s) => s)).toEqual([]);
  const r = recorded();
  r.scope = { ...r.scope!, unit: "other.scope" };
  expect(() => systemdOps(r, id, (s) => templateOf(s, { id, token: "" }))).toThrow("not named after the ID");
  const swapped = recorded();
  swapped.dbus.reverse();
  expect(() => systemdOps(swapped, id, (s) => s)).toThrow("out of order");
});
