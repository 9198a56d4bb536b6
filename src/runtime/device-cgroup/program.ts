// A BPF_PROG_TYPE_CGROUP_DEVICE program for a v1-style device state. The
// kernel runs it on every device access from the cgroup with a
// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// (access_type: device type in the low 16 bits, BPF_DEVCG_ACC_* in the high
// 16) and allows the access when it returns 1.
//
// Layout: load the context into r2..r5, then one block per exception that
// jumps to the next block as soon as a field does not match and otherwise
// returns the exception's action; the last block returns the default. The
// exceptions all carry the action opposite to the default, so their order
// does not matter. Every block is reachable, which the verifier requires.
import { ACC_ALL } from "./rules.ts";
import type { DeviceState, Exception } from "./emulate.ts";

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Opcodes: class | op | source, from linux/bpf_common.h and linux/bpf.h.
export const OP = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  MOV64_X: 0xbf, // BPF_ALU64 | BPF_MOV | BPF_X
  MOV64_K: 0xb7, // BPF_ALU64 | BPF_MOV | BPF_K
  AND64_K: 0x57, // BPF_ALU64 | BPF_AND | BPF_K
  RSH64_K: 0x77, // BPF_ALU64 | BPF_RSH | BPF_K
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JNE_K: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JSET_K: 0x45, // BPF_JMP | BPF_JSET | BPF_K
  EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

export const DEV_BLOCK = 1; // BPF_DEVCG_DEV_BLOCK
export const DEV_CHAR = 2; // BPF_DEVCG_DEV_CHAR

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

export function compileProgram(state: DeviceState): Insn[] {
  const prog: Insn[] = [
    ins(OP.LDX_MEM_W, R2, R1, 0, 0), // access_type
    ins(OP.MOV64_X, R3, R2, 0, 0),
    ins(OP.RSH64_K, R3, 0, 0, 16), // r3 = access
    ins(OP.AND64_K, R2, 0, 0, 0xffff), // r2 = type
    ins(OP.LDX_MEM_W, R4, R1, 4, 0), // major
    ins(OP.LDX_MEM_W, R5, R1, 8, 0), // minor
  ];
  for (const e of state.exceptions) prog.push(...block(e, !state.defaultAllow));
  prog.push(ins(OP.MOV64_K, R0, 0, 0, state.defaultAllow ? 1 : 0), ins(OP.EXIT, 0, 0, 0, 0));
  return prog;
}

/** One exception: `allow` exceptions need every asked bit granted, deny ones refuse any bit they name (as v1 checks). */
function block(e: Exception, allow: boolean): Insn[] {
  const NEXT = 0x7fff; // placeholder, resolved below to the block's end
  const out: Insn[] = [ins(OP.JNE_K, R2, 0, NEXT, e.type === "b" ? DEV_BLOCK : DEV_CHAR)];
  if (e.major !== null) out.push(ins(OP.JNE_K, R4, 0, NEXT, e.major));
  if (e.minor !== null) out.push(ins(OP.JNE_K, R5, 0, NEXT, e.minor));
  if (allow) {
    // Any asked bit outside the exception's: not this one.
    if (e.access !== ACC_ALL) out.push(ins(OP.JSET_K, R3, 0, NEXT, ~e.access & 0xffff));
  } else {
    out.push(ins(OP.MOV64_X, R1, R3, 0, 0), ins(OP.AND64_K, R1, 0, 0, e.access), ins(OP.JEQ_K, R1, 0, NEXT, 0));
  }
  out.push(ins(OP.MOV64_K, R0, 0, 0, allow ? 1 : 0), ins(OP.EXIT, 0, 0, 0, 0));
  // A jump's offset counts from the instruction after it.
  return out.map((x, i) => (x.off === NEXT ? { ...x, off: out.length - (i + 1) } : x));
}

/** struct bpf_insn, 8 bytes little-endian: code, dst_reg:4 | src_reg:4, s16 off, s32 imm. */
export function encodeProgram(prog: Insn[]): Uint8Array {
  const buf = new Uint8Array(prog.length * 8);
  const v = new DataView(buf.buffer);
  prog.forEach((x, i) => {
    v.setUint8(i * 8, x.code);
    v.setUint8(i * 8 + 1, (x.src << 4) | x.dst);
    v.setInt16(i * 8 + 2, x.off, true);
    v.setInt32(i * 8 + 4, x.imm, true);
  });
  return buf;
}
