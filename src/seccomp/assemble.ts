/**
 * A tiny assembler for classic BPF with symbolic forward jumps.
 *
 * Code generation emits jumps to labels; `finish()` lays the program out and
 * resolves offsets. Conditional jumps only have u8 offsets, so when a target
 * is more than 255 instructions away a trampoline is placed right after the
 * jump: a copy of the target when it is a RET (same cost, no extra hop) or an
 * unconditional BPF_JA, whose offset is a full u32. Inserting trampolines
 * moves code, which can push other jumps out of range, so layout repeats
 * until nothing changes; each pass only adds instructions, so it converges.
 */
import { BPF_JA, BPF_JMP, BPF_MAX_COND_JUMP, BPF_RET, type SockFilter } from "./bpf.ts";

export class Label {
  /** @internal the instruction this label resolves to */
  at: Insn | undefined;
}

/** @internal */
export interface Insn {
  code: number;
  k: number;
  /** Conditional jumps: where to go when the test is true / false. */
  jt?: Label;
  jf?: Label;
  /** BPF_JA: the target. */
  ja?: Label;
}

export class Assembler {
  private readonly insns: Insn[] = [];
  private pending: Label[] = [];

  /** Number of instructions emitted so far (before trampolines). */
  get length(): number {
    return this.insns.length;
  }

  /** Binds `label` to whatever instruction is emitted next. */
  bind(label: Label): void {
    if (label.at || this.pending.includes(label)) throw new Error("label bound twice");
    this.pending.push(label);
  }

  /** Load/ALU/misc instruction: falls through. */
  stmt(code: number, k: number): void {
    this.push({ code, k: k >>> 0 });
  }

  ret(k: number): void {
    this.push({ code: BPF_RET, k: k >>> 0 });
  }

  /** Conditional jump; an omitted target means "the next instruction". */
  jump(code: number, k: number, jt?: Label, jf?: Label): void {
    let next: Label | undefined;
    const fallthrough = () => (next ??= new Label());
    this.push({ code, k: k >>> 0, jt: jt ?? fallthrough(), jf: jf ?? fallthrough() });
    if (next) this.bind(next);
  }

  ja(target: Label): void {
    this.push({ code: BPF_JMP | BPF_JA, k: 0, ja: target });
  }

  finish(): SockFilter[] {
    if (this.pending.length > 0) throw new Error("label bound past the end of the program");
    let insns = this.insns;
    for (let pass = 0; ; pass++) {
      if (pass > 64) throw new Error("jump layout did not converge");
      const pos = positions(insns);
      const out: Insn[] = [];
      let changed = false;
      for (const ins of insns) {
        out.push(ins);
        for (const side of ["jt", "jf"] as const) {
          const target = ins[side];
          if (!target) continue;
          if (offset(pos, ins, target) <= BPF_MAX_COND_JUMP) continue;
          const dest = target.at!;
          const tramp: Insn = dest.code === BPF_RET ? { code: BPF_RET, k: dest.k } : { code: BPF_JMP | BPF_JA, k: 0, ja: target };
          const near = new Label();
          near.at = tramp;
          ins[side] = near;
          out.push(tramp);
          changed = true;
        }
      }
      insns = out;
      if (!changed) break;
    }
    const pos = positions(insns);
    return insns.map((ins) => {
      if (ins.ja) return { code: ins.code, jt: 0, jf: 0, k: offset(pos, ins, ins.ja) };
      if (ins.jt && ins.jf) return { code: ins.code, jt: offset(pos, ins, ins.jt), jf: offset(pos, ins, ins.jf), k: ins.k };
      return { code: ins.code, jt: 0, jf: 0, k: ins.k };
    });
  }

  private push(ins: Insn): void {
    for (const l of this.pending) l.at = ins;
    this.pending = [];
    this.insns.push(ins);
  }
}

function positions(insns: readonly Insn[]): Map<Insn, number> {
  const pos = new Map<Insn, number>();
  insns.forEach((ins, i) => pos.set(ins, i));
  return pos;
}

/** Classic BPF offsets are relative to the instruction after the jump, and only forward. */
function offset(pos: ReadonlyMap<Insn, number>, from: Insn, to: Label): number {
  if (!to.at) throw new Error("jump to an unbound label");
  const a = pos.get(from);
  const b = pos.get(to.at);
  if (a === undefined || b === undefined) throw new Error("jump to an instruction outside the program");
  const off = b - a - 1;
  if (off < 0) throw new Error("backward jump: classic BPF only jumps forward");
  return off;
}
