/**
 * A classic-BPF interpreter for seccomp programs, written independently of the
 * compiler so the tests check behaviour rather than instruction patterns.
 * `checkSeccompProgram` applies the loader's static rules (what the kernel's
 * bpf_check_classic + seccomp_check_filter would reject) so a program that
 * passes here but would fail to load is caught in unit tests.
 */
import { SECCOMP_DATA_SIZE, type SockFilter } from "../../../src/seccomp/bpf.ts";

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Up to six u64 arguments; missing ones are 0. */
  args?: readonly bigint[];
}

const MEM_WORDS = 16;

// Opcode pieces, spelled out here rather than imported so a wrong constant in
// the compiler cannot make both sides agree.
const CLS = { LD: 0, LDX: 1, ST: 2, STX: 3, ALU: 4, JMP: 5, RET: 6, MISC: 7 } as const;

export function seccompDataBytes(d: SeccompData): DataView {
  const view = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  view.setInt32(0, d.nr | 0, true);
  view.setUint32(4, d.arch >>> 0, true);
  view.setBigUint64(8, d.instructionPointer ?? 0n, true);
  for (let i = 0; i < 6; i++) view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, d.args?.[i] ?? 0n), true);
  return view;
}

export class BpfCheckError extends Error {}

export function checkSeccompProgram(prog: readonly SockFilter[]): void {
  if (prog.length === 0 || prog.length > 4096) throw new BpfCheckError(`bad length ${prog.length}`);
  prog.forEach((ins, pc) => {
    const cls = ins.code & 0x07;
    const fail = (why: string) => {
      throw new BpfCheckError(`insn ${pc} (code 0x${ins.code.toString(16)}): ${why}`);
    };
    if (ins.jt > 255 || ins.jf > 255 || ins.jt < 0 || ins.jf < 0) fail("jt/jf not u8");
    switch (cls) {
      case CLS.LD:
        if (ins.code === 0x20) {
          // LD|W|ABS: seccomp only allows aligned 32-bit loads inside seccomp_data
          if (ins.k % 4 !== 0 || ins.k >= SECCOMP_DATA_SIZE) fail(`bad seccomp_data offset ${ins.k}`);
        } else if (ins.code === 0x80 /* LD|W|LEN */ || ins.code === 0x00 /* LD|IMM */) {
        } else if (ins.code === 0x60 /* LD|MEM */) {
          if (ins.k >= MEM_WORDS) fail("scratch index");
        } else fail("load mode not allowed for seccomp");
        break;
      case CLS.LDX:
        if (ins.code === 0x01 || ins.code === 0x81) break;
        if (ins.code === 0x61) {
          if (ins.k >= MEM_WORDS) fail("scratch index");
          break;
        }
        fail("ldx mode not allowed for seccomp");
        break;
      case CLS.ST:
      case CLS.STX:
        if (ins.code !== cls || ins.k >= MEM_WORDS) fail("bad store");
        break;
      case CLS.ALU: {
        const op = ins.code & 0xf0;
        if (![0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0].includes(op)) fail("alu op");
        if ((op === 0x30 || op === 0x90) && (ins.code & 0x08) === 0 && ins.k === 0) fail("division by constant zero");
        break;
      }
      case CLS.JMP: {
        const op = ins.code & 0xf0;
        if (op === 0x00) {
          if (ins.code !== 0x05) fail("ja with X");
          if (pc + 1 + ins.k >= prog.length) fail("ja out of range");
        } else {
          if (![0x10, 0x20, 0x30, 0x40].includes(op)) fail("jmp op");
          if (pc + 1 + ins.jt >= prog.length || pc + 1 + ins.jf >= prog.length) fail("conditional jump out of range");
        }
        break;
      }
      case CLS.RET:
        if (ins.code !== 0x06 && ins.code !== 0x16) fail("ret source");
        break;
      case CLS.MISC:
        if (ins.code !== 0x07 && ins.code !== 0x87) fail("misc op");
        break;
    }
  });
  if ((prog[prog.length - 1]!.code & 0x07) !== CLS.RET) throw new BpfCheckError("last instruction is not a RET");
}

export interface RunResult {
  action: number;
  /** Instructions executed, to check the O(log n) claim. */
  steps: number;
}

export function runSeccompProgram(prog: readonly SockFilter[], data: SeccompData): RunResult {
  checkSeccompProgram(prog);
  const mem = seccompDataBytes(data);
  const scratch = new Uint32Array(MEM_WORDS);
  let a = 0;
  let x = 0;
  let pc = 0;
  let steps = 0;
  for (;;) {
    const ins = prog[pc];
    if (!ins) throw new Error(`pc ${pc} ran off the program`);
    steps++;
    const k = ins.k >>> 0;
    const src = ins.code & 0x08 ? x : k;
    switch (ins.code & 0x07) {
      case CLS.LD:
        if (ins.code === 0x20) a = mem.getUint32(k, true);
        else if (ins.code === 0x80) a = SECCOMP_DATA_SIZE;
        else if (ins.code === 0x00) a = k;
        else a = scratch[k]!;
        pc++;
        break;
      case CLS.LDX:
        x = ins.code === 0x01 ? k : ins.code === 0x81 ? SECCOMP_DATA_SIZE : scratch[k]!;
        pc++;
        break;
      case CLS.ST:
        scratch[k] = a;
        pc++;
        break;
      case CLS.STX:
        scratch[k] = x;
        pc++;
        break;
      case CLS.ALU:
        a = alu(ins.code & 0xf0, a, src);
        pc++;
        break;
      case CLS.JMP: {
        const op = ins.code & 0xf0;
        if (op === 0x00) {
          pc += 1 + k;
          break;
        }
        const cond = op === 0x10 ? a === src : op === 0x20 ? a > src : op === 0x30 ? a >= src : (a & src) !== 0;
        pc += 1 + (cond ? ins.jt : ins.jf);
        break;
      }
      case CLS.RET:
        return { action: (ins.code === 0x16 ? a : k) >>> 0, steps };
      case CLS.MISC:
        if (ins.code === 0x07) x = a;
        else a = x;
        pc++;
        break;
    }
  }
}

function alu(op: number, a: number, b: number): number {
  switch (op) {
    case 0x00: return (a + b) >>> 0;
    case 0x10: return (a - b) >>> 0;
    case 0x20: return Math.imul(a, b) >>> 0;
    case 0x30: return b === 0 ? 0 : Math.floor(a / b) >>> 0;
    case 0x40: return (a | b) >>> 0;
    case 0x50: return (a & b) >>> 0;
    case 0x60: return b >= 32 ? 0 : (a << b) >>> 0;
    case 0x70: return b >= 32 ? 0 : a >>> b;
    case 0x80: return -a >>> 0;
    case 0x90: return b === 0 ? 0 : (a % b) >>> 0;
    case 0xa0: return (a ^ b) >>> 0;
  }
  throw new Error(`alu op 0x${op.toString(16)}`);
}
