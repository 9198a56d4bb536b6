import { expect, test } from "bun:test";
import { Guard, Phase, RR, RRmdir, Site } from "../../../../../src/plan/replay-ids.ts";
import { encodeEntry } from "../../../../../src/runtime/oci/run-cache/encode.ts";
import type { Entry } from "../../../../../src/runtime/oci/run-cache/entry.ts";
import { decodeEntry, records } from "../../../../helpers/run-cache.ts";

const enc = new TextEncoder();
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const u16 = (v: number) => [v & 0xff, v >>> 8];
const str = (s: string) => [...u32(enc.encode(s).length + 1), ...enc.encode(s), 0];
/** One record as the plan format frames it: type, 0, length, payload, padding to 4. */
const record = (type: number, payload: number[]) => [...u16(type), 0, 0, ...u32(payload.length), ...payload, ...new Array((4 - (payload.length % 4)) % 4).fill(0)];

const entry = (over: Partial<Entry> = {}): Entry => ({
  key: enc.encode("k\0"),
  guards: [{ kind: "stat", path: "/r", is: Guard.DIR }],
  shim: "/s",
  plan: new Uint8Array([1, 2, 3, 4, 5]),
  sites: [{ offset: 2, kind: Site.TOKEN }],
  cleanup: ["/c\x01I"],
  ops: [
    { op: "rmtree", phase: Phase.TEARDOWN, path: "/d" },
    { op: "lock", phase: Phase.PREPARE, path: "/d" },
    { op: "write", phase: Phase.CHILD, path: "/p", content: "\x01P" },
    { op: "mkdir", phase: Phase.PREPARE, mode: 0o711, flags: 1, path: "/e" },
  ],
  ...over,
});

test("an entry is the header and each record in the plan's framing, host ops in phase order", () => {
  const bytes = encodeEntry(entry());
  const body = [
    ...record(RR.KEY, [...u32(2), 0x6b, 0]),
    ...record(RR.GUARD_STAT, [...u32(Guard.DIR), ...str("/r")]),
    ...record(RR.SHIM, str("/s")),
    ...record(RR.PLAN, [...u32(5), 1, 2, 3, 4, 5]),
    ...record(RR.PLAN_SITE, [...u32(2), ...u32(Site.TOKEN)]),
    ...record(RR.CLEANUP, str("/c\x01I")),
    ...record(RR.LOCK, [...u32(Phase.PREPARE), ...str("/d")]),
    ...record(RR.MKDIR, [...u32(Phase.PREPARE), ...u32(0o711), ...u32(1), ...str("/e")]),
    ...record(RR.WRITE, [...u32(Phase.CHILD), ...str("/p"), ...str("\x01P")]),
    ...record(RR.RMTREE, [...u32(Phase.TEARDOWN), ...str("/d")]),
  ];
  const header = [...enc.encode("ZOOR"), ...u16(1), ...u16(16), ...u32(16 + body.length), ...u32(10)];
  expect([...bytes]).toEqual([...header, ...body]);
});

test("every kind of record reads back as written", () => {
  const e = entry({
    guards: [
      { kind: "file", path: "/b/config.json", content: enc.encode("{}\n") },
      { kind: "stat", path: "/src", is: Guard.NOT_DIR },
      { kind: "stat", path: "/gone", is: Guard.ABSENT },
    ],
    ops: [
      { op: "mkdir", phase: Phase.PREPARE, mode: 0o711, flags: 1, path: "/s" },
      { op: "lock", phase: Phase.PREPARE, path: "/s/\x01I" },
      { op: "mkfifo", phase: Phase.PREPARE, mode: 0o622, path: "/s/\x01I/exec.fifo" },
      { op: "open", phase: Phase.PREPARE, flags: 0o10000000, slot: 5, path: "/s/\x01I/exec.fifo" },
      { op: "mkdir", phase: Phase.SPAWNED, mode: 0o700, flags: 0, path: "/tmp/zoo.\x01T" },
      { op: "write", phase: Phase.CHILD, path: "/cg/cgroup.procs", content: "\x01P" },
      { op: "device-bpf", phase: Phase.CREATED, dir: "/cg", insns: new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]) },
      { op: "replace", phase: Phase.CREATED, mode: 0o600, path: "/s/\x01I/state.json", content: '{"pid":\x01P}' },
      { op: "start", phase: Phase.CREATED, fifo: "/s/\x01I/exec.fifo" },
      { op: "rmdir", phase: Phase.TEARDOWN, flags: RRmdir.RETRY_BUSY | RRmdir.ENOENT_OK, path: "/cg" },
      { op: "rmtree", phase: Phase.TEARDOWN, path: "/s/\x01I" },
    ],
  });
  expect(decodeEntry(encodeEntry(e))).toEqual(e);
  expect(records(encodeEntry(e)).map((r) => r.type).slice(-11)).toEqual([RR.MKDIR, RR.LOCK, RR.MKFIFO, RR.OPEN, RR.MKDIR, RR.WRITE, RR.DEVICE_BPF, RR.REPLACE, RR.START, RR.RMDIR, RR.RMTREE]);
});

test("a string with a NUL, an unknown guard or an entry past the size limit is refused", () => {
  expect(() => encodeEntry(entry({ shim: "/a\0b" }))).toThrow(/NUL/);
  expect(() => encodeEntry(entry({ guards: [{ kind: "stat", path: "/r", is: 7 }] }))).toThrow(/unknown stat guard/);
  expect(() => encodeEntry(entry({ plan: new Uint8Array(4 * 1024 * 1024) }))).toThrow(/run cache entry too large/);
});
