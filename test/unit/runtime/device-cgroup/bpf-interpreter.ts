// A tiny interpreter for the instructions program.ts emits, run from their
// encoded bytes. It also refuses what the kernel's verifier would: unknown
// opcodes, reading a register never written, jumps out of the program or
// backwards, unreachable instructions, exit without r0, context reads other
// than the three u32 fields, and return values other than 0 and 1.
import { OP } from "../../../../src/runtime/device-cgroup/program.ts";

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export function decode(buf: Uint8Array): Insn[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o < buf.length; o += 8) {
    const regs = v.getUint8(o + 1);
    out.push({ code: v.getUint8(o), dst: regs & 0xf, src: regs >> 4, off: v.getInt16(o + 2, true), imm: v.getInt32(o + 4, true) });
  }
  return out;
}

const JUMPS = new Set<number>([OP.JEQ_K, OP.JNE_K, OP.JSET_K]);
const KNOWN = new Set<number>(Object.values(OP));

/** Static checks; throws naming the first problem. */
export function verify(prog: Insn[]): void {
  if (prog.length === 0) throw new Error("empty program");
  const reached = new Set<number>([0]);
  prog.forEach((x, i) => {
    if (!KNOWN.has(x.code)) throw new Error(`insn ${i}: unknown opcode 0x${x.code.toString(16)}`);
    if (!reached.has(i)) throw new Error(`insn ${i}: unreachable`);
    if (x.code === OP.EXIT) return;
    if (JUMPS.has(x.code)) {
      const t = i + 1 + x.off;
      if (x.off < 0 || t >= prog.length) throw new Error(`insn ${i}: jump to ${t} out of range`);
      reached.add(t);
    }
    if (i + 1 >= prog.length) throw new Error(`insn ${i}: falls off the end`);
    reached.add(i + 1);
  });
}

const CTX = Symbol("ctx");
type Reg = bigint | typeof CTX | undefined;
const M64 = (1n << 64n) - 1n;
const sext = (imm: number) => BigInt(imm) & M64;

/** Runs the program on one access; returns r0 at exit. */
export function run(code: Uint8Array, ctx: { type: number; access: number; major: number; minor: number }): number {
  const prog = decode(code);
  verify(prog);
  const r: Reg[] = [undefined, CTX, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  const get = (i: number, pc: number): bigint => {
    const v = r[i];
    if (v === undefined) throw new Error(`insn ${pc}: r${i} read before it was written`);
    if (v === CTX) throw new Error(`insn ${pc}: arithmetic on the context pointer`);
    return v;
  };
  const fields: Record<number, number> = { 0: ((ctx.access << 16) | ctx.type) >>> 0, 4: ctx.major >>> 0, 8: ctx.minor >>> 0 };
  for (let pc = 0, steps = 0; pc < prog.length; pc++) {
    if (++steps > 10_000) throw new Error("too many steps");
    const x = prog[pc]!;
    switch (x.code) {
      case OP.LDX_MEM_W:
        if (r[x.src] !== CTX || !(x.off in fields)) throw new Error(`insn ${pc}: bad context read r${x.src}+${x.off}`);
        r[x.dst] = BigInt(fields[x.off]!);
        break;
      case OP.MOV64_X:
        r[x.dst] = r[x.src] === CTX ? CTX : get(x.src, pc);
        break;
      case OP.MOV64_K:
        r[x.dst] = sext(x.imm);
        break;
      case OP.AND64_K:
        r[x.dst] = get(x.dst, pc) & sext(x.imm);
        break;
      case OP.RSH64_K:
        r[x.dst] = get(x.dst, pc) >> BigInt(x.imm & 63);
        break;
      case OP.JEQ_K:
        if (get(x.dst, pc) === sext(x.imm)) pc += x.off;
        break;
      case OP.JNE_K:
        if (get(x.dst, pc) !== sext(x.imm)) pc += x.off;
        break;
      case OP.JSET_K:
        if ((get(x.dst, pc) & sext(x.imm)) !== 0n) pc += x.off;
        break;
      case OP.EXIT: {
        const v = get(0, pc);
        if (v !== 0n && v !== 1n) throw new Error(`insn ${pc}: returns ${v}, not 0 or 1`);
        return Number(v);
      }
    }
  }
  throw new Error("fell off the end");
}
