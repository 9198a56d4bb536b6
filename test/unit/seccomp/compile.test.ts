import { describe, expect, test } from "bun:test";
import { compileSeccomp, type CompiledSeccomp } from "../../../src/seccomp/compile.ts";
import { decodeProgram } from "../../../src/seccomp/bpf.ts";
import { listenerStateParts, seccompSetup } from "../../../src/seccomp/listener.ts";
import { hostArch } from "../../../src/seccomp/arch.ts";
import { SeccompProfileError, SeccompProgramTooLargeError } from "../../../src/seccomp/errors.ts";
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompOperator, TargetArch } from "../../../src/seccomp/types.ts";
import { runSeccompProgram, type SeccompData } from "./interp.ts";
import { ARCH, RET, errno, expectedAction } from "./oracle.ts";

const ARCHES: TargetArch[] = ["x86_64", "aarch64"];
const OPS: SeccompOperator[] = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
const U64_MAX = (1n << 64n) - 1n;

/** Values where a 64-bit comparison split into 32-bit words typically goes wrong. */
const EDGES: bigint[] = [
  0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x1_0000_0000n, 0x1_0000_0001n, 0x1_ffff_ffffn,
  0x2_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0x8000_0000_0000_0001n, 0xffff_ffff_0000_0000n,
  0xffff_fffe_ffff_ffffn, 0xffff_ffff_ffff_fffen, U64_MAX, 0xdead_beef_0000_5412n, 0x5412n,
];

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const u32 = () => BigInt(int(0x1_0000_0000));
  const u64 = (): bigint => {
    switch (int(4)) {
      case 0: return pick(EDGES);
      case 1: return u32();
      case 2: return BigInt(int(64));
      default: return (u32() << 32n) | u32();
    }
  };
  return { next, int, pick, u64 };
}

function run(c: CompiledSeccomp, d: SeccompData): number {
  return runSeccompProgram(c.program, d).action;
}

function data(arch: TargetArch, nr: number, args: bigint[] = []): SeccompData {
  return { nr, arch: ARCH[arch].audit, args };
}

const nrOf = (arch: TargetArch, name: string) => {
  const nr = ARCH[arch].table.get(name);
  if (nr === undefined) throw new Error(`${name} not on ${arch}`);
  return nr;
};

describe("argument comparisons (64-bit on 32-bit words)", () => {
  for (const op of OPS) {
    test(`${op} agrees with BigInt semantics on edge values, every arg slot`, () => {
      const r = rng(op.length * 7919);
      const values = op === "SCMP_CMP_MASKED_EQ" ? EDGES.flatMap((m) => [m, U64_MAX, r.u64()].map((m2) => [m, m & m2] as const)) : EDGES.map((v) => [v, 0n] as const);
      // A few masked pairs that can never match (valueTwo has bits outside the mask).
      const pairs = op === "SCMP_CMP_MASKED_EQ" ? [...values, [0xffn, 0x100n] as const, [0n, 1n] as const] : values;
      for (const [value, valueTwo] of pairs) {
        const index = r.int(6);
        const profile: LinuxSeccomp = {
          defaultAction: "SCMP_ACT_ERRNO",
          defaultErrnoRet: 5,
          syscalls: [{ names: ["getpid"], action: "SCMP_ACT_ALLOW", args: [{ index, op, value, valueTwo }] }],
        };
        const c = compileSeccomp(profile, { arch: "x86_64" });
        const probes = [...EDGES, value, value + 1n, value - 1n, valueTwo, r.u64(), r.u64()].filter((v) => v >= 0n && v <= U64_MAX);
        for (const a of probes) {
          const args = [r.u64(), r.u64(), r.u64(), r.u64(), r.u64(), r.u64()];
          args[index] = a;
          const d = data("x86_64", nrOf("x86_64", "getpid"), args);
          expect({ op, value, valueTwo, a, got: run(c, d) }).toEqual({ op, value, valueTwo, a, got: expectedAction(profile, "x86_64", d) });
        }
      }
    });
  }

  test("conditions on different args are ANDed", () => {
    const profile: LinuxSeccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["openat"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 3 }, { index: 2, op: "SCMP_CMP_MASKED_EQ", value: 3, valueTwo: 1 }] }],
    };
    const c = compileSeccomp(profile, { arch: "x86_64" });
    const nr = nrOf("x86_64", "openat");
    expect(run(c, data("x86_64", nr, [3n, 0n, 1n]))).toBe(errno(1));
    expect(run(c, data("x86_64", nr, [3n, 0n, 2n]))).toBe(RET.ALLOW);
    expect(run(c, data("x86_64", nr, [4n, 0n, 1n]))).toBe(RET.ALLOW);
  });

  test("a repeated arg index ORs the conditions, as runc does", () => {
    const profile: LinuxSeccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 0 }, { index: 0, op: "SCMP_CMP_EQ", value: 8 }, { index: 0, op: "SCMP_CMP_EQ", value: 0xffffffff }] }],
    };
    for (const arch of ARCHES) {
      const c = compileSeccomp(profile, { arch });
      const nr = nrOf(arch, "personality");
      for (const v of [0n, 8n, 0xffffffffn]) expect(run(c, data(arch, nr, [v]))).toBe(RET.ALLOW);
      for (const v of [1n, 9n, 0x1_0000_0008n]) expect(run(c, data(arch, nr, [v]))).toBe(errno(1));
    }
  });
});

describe("rule order and defaults", () => {
  test("first matching rule wins; unmatched falls to the default", () => {
    const profile: LinuxSeccomp = {
      defaultAction: "SCMP_ACT_TRAP",
      syscalls: [
        { names: ["write"], action: "SCMP_ACT_ERRNO", errnoRet: 9, args: [{ index: 0, op: "SCMP_CMP_GT", value: 100 }] },
        { names: ["write"], action: "SCMP_ACT_LOG", args: [{ index: 0, op: "SCMP_CMP_GE", value: 50 }] },
        { names: ["write", "read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_LE", value: 2 }] },
      ],
    };
    for (const arch of ARCHES) {
      const c = compileSeccomp(profile, { arch });
      const w = nrOf(arch, "write");
      expect(run(c, data(arch, w, [101n]))).toBe(errno(9));
      expect(run(c, data(arch, w, [100n]))).toBe(RET.LOG);
      expect(run(c, data(arch, w, [50n]))).toBe(RET.LOG);
      expect(run(c, data(arch, w, [49n]))).toBe(RET.TRAP);
      expect(run(c, data(arch, w, [2n]))).toBe(RET.ALLOW);
      expect(run(c, data(arch, nrOf(arch, "read"), [1n]))).toBe(RET.ALLOW);
      expect(run(c, data(arch, nrOf(arch, "read"), [3n]))).toBe(RET.TRAP);
      expect(run(c, data(arch, nrOf(arch, "close")))).toBe(RET.TRAP);
    }
  });

  test("an unconditional rule shadows later rules for the same syscall", () => {
    const profile: LinuxSeccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["mount"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
        { names: ["mount"], action: "SCMP_ACT_KILL_PROCESS", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 0 }] },
      ],
    };
    const c = compileSeccomp(profile, { arch: "x86_64" });
    expect(run(c, data("x86_64", nrOf("x86_64", "mount"), [0n]))).toBe(errno(13));
  });

  test("errnoRet defaults to EPERM for ERRNO and TRACE; KILL means kill-thread", () => {
    const profile: LinuxSeccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["getpid"], action: "SCMP_ACT_TRACE" },
        { names: ["getppid"], action: "SCMP_ACT_KILL" },
        { names: ["gettid"], action: "SCMP_ACT_TRACE", errnoRet: 0x1234 },
        { names: ["getuid"], action: "SCMP_ACT_ERRNO", errnoRet: 0 },
        { names: ["getgid"], action: "SCMP_ACT_NOTIFY" },
      ],
    };
    const c = compileSeccomp(profile, { arch: "x86_64" });
    expect(run(c, data("x86_64", nrOf("x86_64", "getpid")))).toBe((RET.TRACE | 1) >>> 0);
    expect(run(c, data("x86_64", nrOf("x86_64", "getppid")))).toBe(RET.KILL_THREAD);
    expect(run(c, data("x86_64", nrOf("x86_64", "gettid")))).toBe((RET.TRACE | 0x1234) >>> 0);
    expect(run(c, data("x86_64", nrOf("x86_64", "getuid")))).toBe(errno(0));
    expect(run(c, data("x86_64", nrOf("x86_64", "getgid")))).toBe(RET.USER_NOTIF);
    expect(run(c, data("x86_64", nrOf("x86_64", "read")))).toBe(errno(1));
  });
});

describe("architecture handling", () => {
  test("a foreign seccomp_data.arch is killed whatever the default", () => {
    for (const arch of ARCHES) {
      for (const defaultAction of ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_LOG"] as const) {
        const c = compileSeccomp({ defaultAction, architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] }, { arch });
        for (const foreign of [0x40000003 /* i386 */, 0x40000028 /* arm */, arch === "x86_64" ? ARCH.aarch64.audit : ARCH.x86_64.audit, 0, 0xffffffff]) {
          expect(run(c, { nr: 39, arch: foreign })).toBe(RET.KILL_PROCESS);
        }
      }
    }
  });

  test("listed-but-unsupported architectures are reported, not fatal", () => {
    const c = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"] }, { arch: "x86_64" });
    expect(c.ignoredArchitectures).toEqual(["SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  });

  test("x32 syscall numbers never reach the rules (deny-lists cannot be bypassed)", () => {
    const denyList: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["chmod"], action: "SCMP_ACT_ERRNO" }] };
    const c = compileSeccomp(denyList, { arch: "x86_64" });
    const chmod = nrOf("x86_64", "chmod");
    expect(run(c, data("x86_64", chmod))).toBe(errno(1));
    expect(run(c, data("x86_64", 0x40000000 | chmod))).toBe(errno(38));
    expect(run(c, data("x86_64", 0x40000000 | nrOf("x86_64", "getpid")))).toBe(errno(38));
    expect(run(c, data("x86_64", -1))).toBe(errno(38));
    expect(run(c, data("x86_64", 0x3fffffff))).toBe(errno(38)); // above the table: newer-syscall guard
    // A refusing default is kept for x32 numbers: the author asked for it.
    for (const [defaultAction, want] of [["SCMP_ACT_ERRNO", errno(1)], ["SCMP_ACT_KILL_PROCESS", RET.KILL_PROCESS], ["SCMP_ACT_TRAP", RET.TRAP]] as const) {
      const allowList = compileSeccomp({ defaultAction, syscalls: [{ names: ["getpid"], action: "SCMP_ACT_ALLOW" }] }, { arch: "x86_64" });
      expect(run(allowList, data("x86_64", nrOf("x86_64", "getpid")))).toBe(RET.ALLOW);
      expect(run(allowList, data("x86_64", 0x40000000 | nrOf("x86_64", "getpid")))).toBe(want);
    }
  });

  test("syscalls newer than the table get ENOSYS under a permissive default, unless opted out", () => {
    for (const arch of ARCHES) {
      const max = Math.max(...ARCH[arch].table.values());
      const allow = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, { arch });
      expect(run(allow, data(arch, max))).toBe(RET.ALLOW);
      expect(run(allow, data(arch, max + 1))).toBe(errno(38));
      expect(run(allow, data(arch, 452))).toBe(errno(38));
      const optOut = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, { arch, newerSyscalls: "default" });
      expect(run(optOut, data(arch, max + 1))).toBe(RET.ALLOW);
      const deny = compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 13 }, { arch });
      expect(run(deny, data(arch, max + 1))).toBe(errno(13));
    }
  });

  test("aarch64 numbers come from the generic table", () => {
    const c = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["fstat", "mmap"], action: "SCMP_ACT_ERRNO" }] }, { arch: "aarch64" });
    expect(run(c, data("aarch64", 80))).toBe(errno(1));
    expect(run(c, data("aarch64", 222))).toBe(errno(1));
    expect(run(c, data("aarch64", 79))).toBe(RET.ALLOW);
  });

  test("defaults to the host arch", () => {
    const p: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["ptrace"], action: "SCMP_ACT_ERRNO" }] };
    expect(compileSeccomp(p).bytes).toEqual(compileSeccomp(p, { arch: hostArch() }).bytes);
  });
});

describe("names", () => {
  test("names unknown for the arch are skipped and reported", () => {
    const p: LinuxSeccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["no_such_syscall", "getpid", "constructor", "__proto__", "toString", "chmod", "no_such_syscall"], action: "SCMP_ACT_ALLOW" }],
    };
    const x = compileSeccomp(p, { arch: "x86_64" });
    expect(x.skippedNames).toEqual(["no_such_syscall", "constructor", "__proto__", "toString"]);
    const a = compileSeccomp(p, { arch: "aarch64" });
    expect(a.skippedNames).toEqual(["no_such_syscall", "constructor", "__proto__", "toString", "chmod"]); // aarch64 has only fchmodat
    expect(run(x, data("x86_64", nrOf("x86_64", "chmod")))).toBe(RET.ALLOW);
    expect(run(a, data("aarch64", nrOf("aarch64", "getpid")))).toBe(RET.ALLOW);
  });
});

describe("program shape", () => {
  const allTable = (arch: TargetArch) => [...ARCH[arch].table.keys()];

  test("allow-list lookup is a balanced search: O(log n) instructions per syscall", () => {
    for (const arch of ARCHES) {
      // Every other syscall allowed: no ranges can merge, the worst case for the tree.
      const names = allTable(arch).filter((_, i) => i % 2 === 0);
      const c = compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names, action: "SCMP_ACT_ALLOW" }] }, { arch });
      let worst = 0;
      for (let nr = 0; nr < 500; nr++) worst = Math.max(worst, runSeccompProgram(c.program, data(arch, nr)).steps);
      // prologue (<= 6) + ceil(log2(~2n segments)) comparisons + RET
      expect(worst).toBeLessThanOrEqual(6 + Math.ceil(Math.log2(2 * names.length + 2)) + 1);
    }
  });

  test("a large conditional profile needs long jumps and still evaluates correctly", () => {
    const syscalls: LinuxSyscall[] = [];
    for (let i = 0; i < 80; i++) syscalls.push({ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 100 + (i % 50), args: [{ index: 0, op: "SCMP_CMP_EQ", value: 1000 + i }] });
    syscalls.push({ names: ["write", "close", "getpid", "mmap"], action: "SCMP_ACT_LOG" });
    for (let i = 0; i < 60; i++) syscalls.push({ names: ["exit_group"], action: "SCMP_ACT_TRAP", args: [{ index: 1, op: "SCMP_CMP_GT", value: BigInt(i) << 33n }] });
    const profile: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls };
    for (const arch of ARCHES) {
      const c = compileSeccomp(profile, { arch });
      expect(c.program.length).toBeGreaterThan(600);
      expect(c.program.some((i) => i.code === 0x05)).toBe(true); // BPF_JMP|BPF_JA trampoline
      const names = ["read", "write", "close", "getpid", "mmap", "exit_group", "openat"];
      const r = rng(42);
      for (const name of names) {
        for (let k = 0; k < 200; k++) {
          const v = k < 100 ? BigInt(990 + k) : (BigInt(r.int(70)) << 33n) + BigInt(r.int(3)) - 1n;
          const d = data(arch, nrOf(arch, name), [v < 0n ? 0n : v, v < 0n ? 0n : v]);
          expect(run(c, d)).toBe(expectedAction(profile, arch, d));
        }
      }
    }
  });

  test("exceeding BPF_MAXINSNS is a clear error", () => {
    const syscalls: LinuxSyscall[] = [];
    for (let i = 0; i < 900; i++) syscalls.push({ names: ["ioctl"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, op: "SCMP_CMP_EQ", value: 0x1_0000_0000 + i }] });
    const err = (() => {
      try {
        compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", syscalls }, { arch: "x86_64" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SeccompProgramTooLargeError);
    expect((err as SeccompProgramTooLargeError).instructions).toBeGreaterThan(4096);
    expect((err as Error).message).toContain("4096");
  });

  test("deterministic: same profile, identical bytes; bytes decode to the program", () => {
    const r = rng(7);
    for (let i = 0; i < 20; i++) {
      const p = randomProfile(r, "x86_64");
      const a = compileSeccomp(p, { arch: "x86_64" });
      const b = compileSeccomp(structuredClone(p), { arch: "x86_64" });
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      expect(decodeProgram(a.bytes)).toEqual([...a.program]);
    }
  });

  test("filter flags are passed through; NOTIFY asks for a listener", () => {
    expect(compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"] }, { arch: "x86_64" }).flags).toBe(3);
    expect(compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] }, { arch: "x86_64" }).flags).toBe(4 | 32);
    const n = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mount"], action: "SCMP_ACT_NOTIFY" }] }, { arch: "x86_64" });
    expect(n.needsListener).toBe(true);
    expect(n.flags).toBe(8);
    const t = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC"], syscalls: [{ names: ["mount"], action: "SCMP_ACT_NOTIFY" }] }, { arch: "x86_64" });
    expect(t.flags).toBe(1 | 8 | 16);
  });
});

describe("invalid profiles are rejected with the field path", () => {
  const base = (patch: Record<string, unknown>) => ({ defaultAction: "SCMP_ACT_ALLOW", ...patch }) as unknown as LinuxSeccomp;
  const cases: [string, LinuxSeccomp, string, string][] = [
    ["unknown default action", base({ defaultAction: "SCMP_ACT_YOLO" }), "defaultAction", "SCMP_ACT_YOLO"],
    ["missing default action", {} as LinuxSeccomp, "defaultAction", "unknown seccomp action"],
    ["unknown rule action", base({ syscalls: [{ names: ["read"], action: "ALLOW" }] }), "syscalls[0].action", '"ALLOW"'],
    ["unknown op", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_MASKED_NE" }] }] }), "syscalls[0].args[0].op", "SCMP_CMP_MASKED_NE"],
    ["arg index 6", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }), "syscalls[0].args[0].index", "0..5"],
    ["negative value", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }] }] }), "syscalls[0].args[0].value", "-1"],
    ["imprecise value", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 2 ** 60, op: "SCMP_CMP_EQ" }] }] }), "syscalls[0].args[0].value", "bigint"],
    ["too large bigint", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1n << 64n, op: "SCMP_CMP_EQ" }] }] }), "syscalls[0].args[0].value", "uint64"],
    ["bad valueTwo", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, valueTwo: "1", op: "SCMP_CMP_MASKED_EQ" }] }] }), "syscalls[0].args[0].valueTwo", "uint64"],
    ["errnoRet on ALLOW", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", errnoRet: 1 }] }), "syscalls[0].errnoRet", "SCMP_ACT_ALLOW"],
    ["defaultErrnoRet on ALLOW", base({ defaultErrnoRet: 1 }), "defaultErrnoRet", "SCMP_ACT_ALLOW"],
    ["errno out of range", base({ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 5000 }] }), "syscalls[0].errnoRet", "0..4095"],
    ["empty names", base({ syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] }), "syscalls[0].names", "non-empty"],
    ["names not an array", base({ syscalls: [{ names: "read", action: "SCMP_ACT_ERRNO" }] }), "syscalls[0].names", "non-empty"],
    ["non-string name", base({ syscalls: [{ names: ["read", 3], action: "SCMP_ACT_ERRNO" }] }), "syscalls[0].names[1]", "string"],
    ["unknown flag", base({ flags: ["SECCOMP_FILTER_FLAG_NEW_LISTENER"] }), "flags[0]", "NEW_LISTENER"],
    ["unknown arch", base({ architectures: ["SCMP_ARCH_Z80"] }), "architectures[0]", "SCMP_ARCH_Z80"],
    ["syscalls not an array", base({ syscalls: {} }), "syscalls", "array"],
    ["rule not an object", base({ syscalls: [null] }), "syscalls[0]", "object"],
  ];
  for (const [what, profile, path, mention] of cases) {
    test(what, () => {
      let err: unknown;
      try {
        compileSeccomp(profile, { arch: "x86_64" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SeccompProfileError);
      expect((err as SeccompProfileError).path).toBe(path);
      expect((err as Error).message).toContain(`linux.seccomp.${path}`);
      expect((err as Error).message).toContain(mention);
    });
  }

  test("a profile that is not an object", () => {
    expect(() => compileSeccomp(null as unknown as LinuxSeccomp, { arch: "x86_64" })).toThrow(SeccompProfileError);
  });

  test("null optional fields mean unset (Go encoders emit them)", () => {
    const p = { defaultAction: "SCMP_ACT_ALLOW", flags: null, architectures: null, syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: null, args: null }] } as unknown as LinuxSeccomp;
    const c = compileSeccomp(p, { arch: "x86_64" });
    expect(run(c, data("x86_64", 0))).toBe(errno(1));
  });
});

function randomProfile(r: ReturnType<typeof rng>, arch: TargetArch): LinuxSeccomp {
  const names = [...ARCH[arch].table.keys()];
  const pool = Array.from({ length: 1 + r.int(12) }, () => (r.int(10) === 0 ? `unknown_${r.int(5)}` : r.pick(names)));
  const action = (): Pick<LinuxSyscall, "action" | "errnoRet"> => {
    switch (r.int(7)) {
      case 0: return { action: "SCMP_ACT_ALLOW" };
      case 1: return { action: "SCMP_ACT_ERRNO", errnoRet: r.int(4096) };
      case 2: return { action: "SCMP_ACT_ERRNO" };
      case 3: return { action: "SCMP_ACT_KILL_PROCESS" };
      case 4: return { action: "SCMP_ACT_TRAP" };
      case 5: return { action: "SCMP_ACT_LOG" };
      default: return { action: "SCMP_ACT_TRACE", errnoRet: r.int(65536) };
    }
  };
  const arg = (): LinuxSeccompArg => {
    const op = r.pick(OPS);
    const value = r.u64();
    return op === "SCMP_CMP_MASKED_EQ" ? { index: r.int(6), op, value, valueTwo: r.int(4) === 0 ? r.u64() : value & r.u64() } : { index: r.int(6), op, value };
  };
  const syscalls: LinuxSyscall[] = Array.from({ length: 1 + r.int(25) }, () => {
    const n = Array.from({ length: 1 + r.int(3) }, () => r.pick(pool));
    const args = r.int(3) === 0 ? undefined : Array.from({ length: 1 + r.int(3) }, arg);
    return args ? { names: n, ...action(), args } : { names: n, ...action() };
  });
  const def = action();
  return def.errnoRet === undefined ? { defaultAction: def.action, syscalls } : { defaultAction: def.action, defaultErrnoRet: def.errnoRet, syscalls };
}

describe("random profiles agree with the reference semantics", () => {
  for (const arch of ARCHES) {
    test(`${arch}: 300 random profiles x 150 random syscalls`, () => {
      const r = rng(arch === "x86_64" ? 1 : 2);
      for (let p = 0; p < 300; p++) {
        const profile = randomProfile(r, arch);
        const newer = r.int(4) === 0 ? "default" : "enosys";
        const c = compileSeccomp(profile, { arch, newerSyscalls: newer });
        const used = (profile.syscalls ?? []).flatMap((s) => s.names).map((n) => ARCH[arch].table.get(n)).filter((n) => n !== undefined);
        const argPool = (profile.syscalls ?? []).flatMap((s) => (s.args ?? []).flatMap((a) => [BigInt(a.value), BigInt(a.valueTwo ?? 0)]));
        for (let k = 0; k < 150; k++) {
          const nr = r.int(5) === 0 ? r.pick([r.int(600), 0x40000000 + r.int(600), 0xffffffff, 452]) : used.length ? r.pick(used) : r.int(500);
          const args = Array.from({ length: 6 }, () => {
            if (argPool.length && r.int(2) === 0) {
              const v = r.pick(argPool) + BigInt(r.int(3) - 1);
              return v < 0n ? 0n : v > U64_MAX ? U64_MAX : v;
            }
            return r.u64();
          });
          const d: SeccompData = { nr, arch: r.int(20) === 0 ? 0x40000003 : ARCH[arch].audit, args };
          const want = expectedAction(profile, arch, d, newer);
          const got = run(c, d);
          if (got !== want) throw new Error(`mismatch: profile=${JSON.stringify(profile, (_, v) => (typeof v === "bigint" ? `${v}n` : v))} data=${JSON.stringify(d, (_, v) => (typeof v === "bigint" ? `${v}n` : v))} got=0x${got.toString(16)} want=0x${want.toString(16)}`);
        }
      }
    });
  }
});

describe("listener state for SCMP_ACT_NOTIFY", () => {
  const notify: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getppid"], action: "SCMP_ACT_NOTIFY" }] };
  const container = { ociVersion: "1.2.0", id: "c1", bundle: "/b", annotations: { k: "v" } };

  test("the parts joined by a pid are the runtime-spec's container process state", () => {
    const parts = listenerStateParts(container, "meta");
    expect(JSON.parse(parts.join("4321"))).toEqual({
      ociVersion: "1.2.0",
      fds: ["seccompFd"],
      pid: 4321,
      metadata: "meta",
      state: { ociVersion: "1.2.0", id: "c1", status: "creating", pid: 4321, bundle: "/b", annotations: { k: "v" } },
    });
    expect(JSON.parse(listenerStateParts({ ...container, id: 'a"b' }).join("1"))).not.toHaveProperty("metadata");
  });

  test("seccompSetup: a listener only with NOTIFY, and NOTIFY only with an absolute listenerPath", () => {
    const plain = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, { arch: "x86_64" });
    expect(seccompSetup(plain, { listenerPath: "/ignored" }, container).listener).toBeUndefined();
    const c = compileSeccomp(notify, { arch: "x86_64" });
    expect(seccompSetup(c, { listenerPath: "/run/agent.sock" }, container).listener?.path).toBe("/run/agent.sock");
    expect(() => seccompSetup(c, {}, container)).toThrow("linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY");
    expect(() => seccompSetup(c, { listenerPath: "agent.sock" }, container)).toThrow("linux.seccomp.listenerPath: must be an absolute path");
    expect(() => seccompSetup(c, { listenerPath: "/a", listenerMetadata: 5 }, container)).toThrow("linux.seccomp.listenerMetadata: must be a string");
  });
});
