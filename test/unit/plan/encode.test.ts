import { expect, test } from "bun:test";
import { encodePlan, Payload } from "../../../src/plan/encode.ts";
import { Op, PLAN_MAGIC } from "../../../src/plan/ids.ts";
import { toRecord } from "../../../src/plan/ops.ts";

test("header carries magic, version, sizes and count", () => {
  const plan = encodePlan([toRecord({ op: "sethostname", name: "zoo" })]);
  const dv = new DataView(plan.buffer);
  expect(dv.getUint32(0, true)).toBe(PLAN_MAGIC);
  expect(new TextDecoder().decode(plan.subarray(0, 4))).toBe("ZOOP");
  expect(dv.getUint16(4, true)).toBe(1);
  expect(dv.getUint16(6, true)).toBe(16);
  expect(dv.getUint32(8, true)).toBe(plan.length);
  expect(dv.getUint32(12, true)).toBe(1);
});

test("a record is type, reserved, length, payload, padded to 4", () => {
  const plan = encodePlan([toRecord({ op: "sethostname", name: "zoo" }), toRecord({ op: "noNewPrivs" })]);
  const dv = new DataView(plan.buffer);
  expect(dv.getUint16(16, true)).toBe(Op.SETHOSTNAME);
  expect(dv.getUint32(20, true)).toBe(8); // u32 len + "zoo\0"
  expect(dv.getUint32(24, true)).toBe(4);
  expect(new TextDecoder().decode(plan.subarray(28, 32))).toBe("zoo\0");
  expect(dv.getUint16(32, true)).toBe(Op.NO_NEW_PRIVS);
  expect(dv.getUint32(36, true)).toBe(0);
  expect(plan.length).toBe(40);
});

test("odd payloads are padded and the next record stays aligned", () => {
  const plan = encodePlan([toRecord({ op: "chdir", path: "/a" }), toRecord({ op: "umask", mask: 0o22 })]);
  const dv = new DataView(plan.buffer);
  expect(dv.getUint32(20, true)).toBe(7);
  expect(dv.getUint16(32, true)).toBe(Op.UMASK);
});

test("absent strings encode as length 0; NUL inside a string is refused", () => {
  const p = new Payload().str(null).bytes();
  expect([...p]).toEqual([0, 0, 0, 0]);
  expect(() => new Payload().str("a\0b")).toThrow(/NUL/);
});

test("u64 fields keep all 64 bits", () => {
  const r = toRecord({ op: "rlimit", resource: 7, soft: 0xffffffffffffffffn, hard: 1n << 40n });
  const dv = new DataView(r.payload.buffer);
  expect(dv.getBigUint64(4, true)).toBe(0xffffffffffffffffn);
  expect(dv.getBigUint64(12, true)).toBe(1n << 40n);
});

test("seccomp programs must be whole instructions", () => {
  expect(() => toRecord({ op: "seccomp", flags: 0, program: new Uint8Array(12) })).toThrow(/multiple of 8/);
  const r = toRecord({ op: "seccomp", flags: 0, program: new Uint8Array(16) });
  expect(new DataView(r.payload.buffer).getUint32(4, true)).toBe(2);
});

test("exec carries path, argv and envp", () => {
  const r = toRecord({ op: "exec", path: "sh", args: ["sh", "-c", "x"], env: ["A=1"] });
  expect(r.type).toBe(Op.EXEC);
  const text = new TextDecoder().decode(r.payload);
  expect(text).toContain("sh\0");
  expect(text).toContain("-c\0");
  expect(text).toContain("A=1\0");
});
