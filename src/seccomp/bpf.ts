/**
 * Classic BPF as the seccomp filter loader accepts it: instruction encoding,
 * the seccomp_data layout the program reads, and the return-value actions.
 * Values are the kernel's ABI (linux/filter.h, linux/bpf_common.h,
 * linux/seccomp.h, linux/audit.h).
 */

/** struct sock_filter. jt/jf are u8 relative forward offsets; k is u32. */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// Instruction classes
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes and modes
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;

// ALU and jump operations
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10; // for RET: return the accumulator

export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Kernel limit on filter length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** jt/jf are u8: a conditional jump cannot skip more than this many instructions. */
export const BPF_MAX_COND_JUMP = 255;

/** struct seccomp_data offsets. Arguments are u64; on little-endian arches the low word comes first. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP = 8;
export const SECCOMP_DATA_ARGS = 16;
export const SECCOMP_DATA_SIZE = 64;
export const SYSCALL_ARG_COUNT = 6;

export function argLowOffset(index: number): number {
  return SECCOMP_DATA_ARGS + 8 * index;
}
export function argHighOffset(index: number): number {
  return SECCOMP_DATA_ARGS + 8 * index + 4;
}

// Filter return values. The kernel runs every filter and keeps the lowest
// action (KILL_PROCESS sorts first because it is compared as signed).
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

export function retErrno(errno: number): number {
  return (SECCOMP_RET_ERRNO | (errno & SECCOMP_RET_DATA)) >>> 0;
}

// seccomp(2)
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1 << 0;
export const SECCOMP_FILTER_FLAG_LOG = 1 << 1;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

// seccomp_data.arch values
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const AUDIT_ARCH_I386 = 0x40000003;

/** x32 syscalls arrive with AUDIT_ARCH_X86_64 and this bit set in nr. */
export const X32_SYSCALL_BIT = 0x40000000;

export const EPERM = 1;
export const ENOSYS = 38;

/** A non-jump instruction (load, ALU, return). */
export function stmt(code: number, k: number): SockFilter {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}

/** A conditional jump with already-resolved offsets. */
export function jump(code: number, k: number, jt: number, jf: number): SockFilter {
  if (!isU8(jt) || !isU8(jf)) throw new RangeError(`jump offsets out of u8 range: jt=${jt} jf=${jf}`);
  return { code, jt, jf, k: k >>> 0 };
}

export function isConditionalJump(code: number): boolean {
  return (code & 0x07) === BPF_JMP && (code & 0xf0) !== BPF_JA;
}

export const SOCK_FILTER_SIZE = 8;

/** The byte form stored in the runtime plan: struct sock_filter[n], little-endian. */
export function encodeProgram(program: readonly SockFilter[]): Uint8Array {
  const bytes = new Uint8Array(program.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    const o = i * SOCK_FILTER_SIZE;
    if (!isU16(ins.code) || !isU8(ins.jt) || !isU8(ins.jf) || !isU32(ins.k)) {
      throw new RangeError(`instruction ${i} has a field out of range: ${JSON.stringify(ins)}`);
    }
    view.setUint16(o, ins.code, true);
    view.setUint8(o + 2, ins.jt);
    view.setUint8(o + 3, ins.jf);
    view.setUint32(o + 4, ins.k, true);
  });
  return bytes;
}

export function decodeProgram(bytes: Uint8Array): SockFilter[] {
  if (bytes.length % SOCK_FILTER_SIZE !== 0) {
    throw new RangeError(`program byte length ${bytes.length} is not a multiple of ${SOCK_FILTER_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SockFilter[] = [];
  for (let o = 0; o < bytes.length; o += SOCK_FILTER_SIZE) {
    out.push({
      code: view.getUint16(o, true),
      jt: view.getUint8(o + 2),
      jf: view.getUint8(o + 3),
      k: view.getUint32(o + 4, true),
    });
  }
  return out;
}

function isU8(n: number) {
  return Number.isInteger(n) && n >= 0 && n <= 0xff;
}
function isU16(n: number) {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}
function isU32(n: number) {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}
