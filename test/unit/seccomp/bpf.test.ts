import { describe, expect, test } from "bun:test";
import * as bpf from "../../../src/seccomp/bpf.ts";

describe("kernel ABI constants", () => {
  test("instruction codes", () => {
    expect(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS).toBe(0x20);
    expect(bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K).toBe(0x15);
    expect(bpf.BPF_JMP | bpf.BPF_JGT | bpf.BPF_K).toBe(0x25);
    expect(bpf.BPF_JMP | bpf.BPF_JGE | bpf.BPF_K).toBe(0x35);
    expect(bpf.BPF_JMP | bpf.BPF_JSET | bpf.BPF_K).toBe(0x45);
    expect(bpf.BPF_JMP | bpf.BPF_JA).toBe(0x05);
    expect(bpf.BPF_RET | bpf.BPF_K).toBe(0x06);
    expect(bpf.BPF_ALU | bpf.BPF_AND | bpf.BPF_K).toBe(0x54);
    expect(bpf.BPF_MAXINSNS).toBe(4096);
  });

  test("seccomp_data layout: args are u64, low word first", () => {
    expect([bpf.SECCOMP_DATA_NR, bpf.SECCOMP_DATA_ARCH, bpf.SECCOMP_DATA_IP, bpf.SECCOMP_DATA_ARGS]).toEqual([0, 4, 8, 16]);
    expect([0, 1, 5].map(bpf.argLowOffset)).toEqual([16, 24, 56]);
    expect([0, 1, 5].map(bpf.argHighOffset)).toEqual([20, 28, 60]);
  });

  test("return actions and arches", () => {
    expect(bpf.SECCOMP_RET_KILL_PROCESS).toBe(0x80000000);
    expect(bpf.SECCOMP_RET_KILL_THREAD).toBe(0);
    expect(bpf.SECCOMP_RET_TRAP).toBe(0x30000);
    expect(bpf.retErrno(1)).toBe(0x50001);
    expect(bpf.retErrno(0x12345)).toBe(0x52345); // data is 16 bits
    expect(bpf.SECCOMP_RET_USER_NOTIF).toBe(0x7fc00000);
    expect(bpf.SECCOMP_RET_TRACE).toBe(0x7ff00000);
    expect(bpf.SECCOMP_RET_LOG).toBe(0x7ffc0000);
    expect(bpf.SECCOMP_RET_ALLOW).toBe(0x7fff0000);
    expect(bpf.AUDIT_ARCH_X86_64).toBe(0xc000003e);
    expect(bpf.AUDIT_ARCH_AARCH64).toBe(0xc00000b7);
  });
});

describe("serialization", () => {
  test("struct sock_filter is 8 little-endian bytes", () => {
    const bytes = bpf.encodeProgram([
      bpf.stmt(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, 4),
      bpf.jump(bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, bpf.AUDIT_ARCH_X86_64, 1, 200),
      bpf.stmt(bpf.BPF_RET | bpf.BPF_K, bpf.SECCOMP_RET_KILL_PROCESS),
    ]);
    expect([...bytes]).toEqual([
      0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
      0x15, 0x00, 0x01, 0xc8, 0x3e, 0x00, 0x00, 0xc0,
      0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
    ]);
  });

  test("decode inverts encode", () => {
    const prog = [bpf.stmt(0x20, 0), bpf.jump(0x35, 0xffffffff, 255, 0), bpf.stmt(0x06, 0x7fff0000)];
    expect(bpf.decodeProgram(bpf.encodeProgram(prog))).toEqual(prog);
    // Decoding a view into a larger buffer respects its offset.
    const padded = new Uint8Array(32);
    padded.set(bpf.encodeProgram(prog), 8);
    expect(bpf.decodeProgram(padded.subarray(8, 32))).toEqual(prog);
  });

  test("out-of-range fields are refused, not truncated", () => {
    expect(() => bpf.jump(0x15, 0, 256, 0)).toThrow(RangeError);
    expect(() => bpf.encodeProgram([{ code: 0x15, jt: 0, jf: 300, k: 0 }])).toThrow(RangeError);
    expect(() => bpf.encodeProgram([{ code: 0x06, jt: 0, jf: 0, k: 2 ** 32 }])).toThrow(RangeError);
    expect(() => bpf.decodeProgram(new Uint8Array(12))).toThrow(RangeError);
  });
});
