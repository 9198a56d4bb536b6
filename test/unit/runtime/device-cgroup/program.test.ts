import { describe, expect, test } from "bun:test";
import { emulate, type DeviceState } from "../../../../src/runtime/device-cgroup/emulate.ts";
import { compileProgram, DEV_BLOCK, DEV_CHAR, encodeProgram, OP } from "../../../../src/runtime/device-cgroup/program.ts";
import { ACC_MKNOD as M, ACC_READ as R, ACC_WRITE as W, containerRules, type DeviceRule, type Rule } from "../../../../src/runtime/device-cgroup/rules.ts";
import { decode, run } from "./bpf-interpreter.ts";

const programFor = (config: DeviceRule[], nodes = []) => encodeProgram(compileProgram(emulate(containerRules(config, nodes))));
const ask = (code: Uint8Array, type: "b" | "c", major: number, minor: number, access: number) =>
  run(code, { type: type === "b" ? DEV_BLOCK : DEV_CHAR, access, major, minor }) === 1;

describe("device program semantics (interpreted)", () => {
  test("no config rules: runc's defaults on deny-all", () => {
    const p = programFor([]);
    expect(ask(p, "c", 1, 3, R | W)).toBe(true); // null
    expect(ask(p, "c", 1, 7, W)).toBe(true); // full is a default
    expect(ask(p, "c", 136, 4, R | W)).toBe(true); // a pty
    expect(ask(p, "c", 1, 1, R)).toBe(false); // mem
    expect(ask(p, "b", 8, 0, R)).toBe(false); // a disk
    expect(ask(p, "b", 8, 0, M)).toBe(true); // mknod of anything
    expect(ask(p, "c", 1, 1, M)).toBe(true);
    expect(ask(p, "c", 1, 1, M | R)).toBe(false); // one exception must grant every bit asked
    expect(ask(p, "c", 1, 3, 0)).toBe(true); // access(F_OK) asks for nothing
    expect(ask(p, "c", 1, 1, 0)).toBe(true);
  });

  test("an allow rule in the config adds a device; its access letters bound it", () => {
    const p = programFor([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 237, access: "r" }]);
    expect(ask(p, "c", 10, 237, R)).toBe(true);
    expect(ask(p, "c", 10, 237, W)).toBe(false);
    expect(ask(p, "c", 10, 237, R | W)).toBe(false);
    expect(ask(p, "c", 10, 238, R)).toBe(false);
    expect(ask(p, "b", 10, 237, R)).toBe(false);
  });

  test("the container's device nodes are allowed", () => {
    const p = programFor([{ allow: false, access: "rwm" }], [{ type: "c", path: "/dev/fuse", major: 10, minor: 229 }, { type: "b", path: "/dev/loop9", major: 7, minor: 9 }] as never);
    expect(ask(p, "c", 10, 229, R | W)).toBe(true);
    expect(ask(p, "b", 7, 9, R | W)).toBe(true);
    expect(ask(p, "b", 7, 8, R)).toBe(false);
  });

  test("allow-all first: later denials are exceptions; a partial overlap is enough to refuse", () => {
    const p = programFor([{ allow: true, access: "rwm" }, { allow: false, type: "c", major: 1, minor: 11, access: "w" }, { allow: false, type: "b", access: "rw" }]);
    expect(ask(p, "c", 1, 11, W)).toBe(false);
    expect(ask(p, "c", 1, 11, R | W)).toBe(false);
    expect(ask(p, "c", 1, 11, R)).toBe(true);
    expect(ask(p, "b", 8, 1, R)).toBe(false);
    expect(ask(p, "b", 8, 1, M)).toBe(true); // the default "b *:* m" only removes m again, and m was never denied
    expect(ask(p, "c", 4, 1, R | W)).toBe(true);
  });

  test("runc's defaults come after the config, so they cannot be denied (as runc on v1 and v2)", () => {
    const p = programFor([{ allow: false, access: "rwm" }, { allow: false, type: "c", major: 1, minor: 7, access: "rwm" }]);
    expect(ask(p, "c", 1, 7, R | W)).toBe(true);
  });

  test("wildcards: a major-only rule covers every minor", () => {
    const p = programFor([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 4, minor: -1, access: "rw" }, { allow: true, type: "b", access: "r" }]);
    expect(ask(p, "c", 4, 0, R | W)).toBe(true);
    expect(ask(p, "c", 4, 99999, W)).toBe(true);
    expect(ask(p, "c", 5, 1, R)).toBe(false);
    expect(ask(p, "b", 259, 3, R)).toBe(true);
    expect(ask(p, "b", 259, 3, W)).toBe(false);
  });

  test("a huge minor (20 bits) compares exactly", () => {
    const p = programFor([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 240, minor: 1048575, access: "rw" }]);
    expect(ask(p, "c", 240, 1048575, R)).toBe(true);
    expect(ask(p, "c", 240, 1048574, R)).toBe(false);
  });
});

describe("v1 semantics of the rule list (the emulation)", () => {
  const rule = (allow: boolean, type: "a" | "b" | "c", major: number | null, minor: number | null, access: number): Rule => ({ allow, type, major, minor, access });

  test("an 'a' rule resets, whatever its access letters", () => {
    expect(emulate([rule(true, "c", 1, 3, R), rule(true, "a", null, null, R)])).toEqual({ defaultAllow: true, exceptions: [] });
    expect(emulate([rule(true, "a", null, null, R), rule(false, "c", 1, 3, R), rule(false, "a", null, null, M)])).toEqual({ defaultAllow: false, exceptions: [] });
  });

  test("same device twice: access merges; the default's action takes bits away, only from that exact device", () => {
    const s = emulate([rule(true, "c", 1, 3, R), rule(true, "c", 1, 3, W), rule(true, "c", 1, null, R | W), rule(false, "c", 1, 3, W), rule(false, "c", 1, null, R)]);
    expect(s).toEqual({ defaultAllow: false, exceptions: [{ type: "c", major: 1, minor: 3, access: R }, { type: "c", major: 1, minor: null, access: W }] });
    // A wider deny does not punch through a narrower allow, as in the kernel's v1 list.
    const p = encodeProgram(compileProgram(s));
    expect(ask(p, "c", 1, 3, R)).toBe(true);
    expect(ask(p, "c", 1, 9, R)).toBe(false);
    expect(ask(p, "c", 1, 9, W)).toBe(true);
  });

  test("removing every bit drops the exception", () => {
    expect(emulate([rule(true, "b", 8, 0, R | W), rule(false, "b", 8, 0, R | W | M)]).exceptions).toEqual([]);
  });
});

/** The kernel's v1 check (security/device_cgroup.c), written from its description, for the random comparison. */
function v1Allows(s: DeviceState, type: "b" | "c", major: number, minor: number, access: number): boolean {
  const dev = (e: DeviceState["exceptions"][number]) => e.type === type && (e.major === null || e.major === major) && (e.minor === null || e.minor === minor);
  return s.defaultAllow ? !s.exceptions.some((e) => dev(e) && (access & e.access) !== 0) : s.exceptions.some((e) => dev(e) && (access & ~e.access) === 0);
}

test("random rule lists: the program agrees with the v1 check on every device and access", () => {
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const pick = <T,>(a: T[]) => a[rnd(a.length)]!;
  let cases = 0;
  for (let round = 0; round < 300; round++) {
    const rules: Rule[] = Array.from({ length: 1 + rnd(8) }, () => ({
      allow: rnd(2) === 0,
      type: pick(["a", "b", "c", "c", "b", "c"] as const),
      major: pick([null, 1, 2]),
      minor: pick([null, 3, 4]),
      access: 1 + rnd(7),
    }));
    const s = emulate(rules);
    const p = encodeProgram(compileProgram(s));
    for (const type of ["b", "c"] as const)
      for (const major of [1, 2, 3])
        for (const minor of [3, 4, 5])
          for (let access = 0; access <= 7; access++) {
            expect(ask(p, type, major, minor, access)).toBe(v1Allows(s, type, major, minor, access));
            cases++;
          }
  }
  expect(cases).toBe(300 * 2 * 3 * 3 * 8);
});

describe("encoding (struct bpf_insn, little-endian)", () => {
  const bytes = (u: Uint8Array) => [...u].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const one = (code: number, dst: number, src: number, off: number, imm: number) => bytes(encodeProgram([{ code, dst, src, off, imm }]));

  test("single instructions", () => {
    expect(one(OP.LDX_MEM_W, 2, 1, 0, 0)).toBe("61 12 00 00 00 00 00 00"); // r2 = *(u32 *)(r1 + 0)
    expect(one(OP.LDX_MEM_W, 5, 1, 8, 0)).toBe("61 15 08 00 00 00 00 00"); // r5 = *(u32 *)(r1 + 8)
    expect(one(OP.AND64_K, 2, 0, 0, 0xffff)).toBe("57 02 00 00 ff ff 00 00");
    expect(one(OP.JNE_K, 4, 0, 5, 10)).toBe("55 04 05 00 0a 00 00 00"); // if r4 != 10 goto +5
    expect(one(OP.JSET_K, 3, 0, 2, 0xfff8)).toBe("45 03 02 00 f8 ff 00 00");
    expect(one(OP.MOV64_K, 0, 0, 0, 1)).toBe("b7 00 00 00 01 00 00 00"); // r0 = 1
    expect(one(OP.MOV64_X, 3, 2, 0, 0)).toBe("bf 23 00 00 00 00 00 00"); // r3 = r2
    expect(one(OP.EXIT, 0, 0, 0, 0)).toBe("95 00 00 00 00 00 00 00");
    expect(one(OP.JEQ_K, 1, 0, -1, -1)).toBe("15 01 ff ff ff ff ff ff");
  });

  test("deny-all compiles to the prologue and return 0; decoding gives back what was encoded", () => {
    const prog = compileProgram({ defaultAllow: false, exceptions: [] });
    expect(prog.length).toBe(8);
    expect(bytes(encodeProgram(prog).subarray(48))).toBe("b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
    expect(decode(encodeProgram(prog))).toEqual(prog);
  });
});
