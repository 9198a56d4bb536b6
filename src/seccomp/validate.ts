/**
 * Turns an untrusted OCI `linux.seccomp` object into checked, numeric form.
 * Every rejection names the field path, because a container that silently
 * runs with a weaker filter than configured is worse than one that fails.
 */
import {
  EPERM,
  SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  SYSCALL_ARG_COUNT,
  retErrno,
} from "./bpf.ts";
import { SeccompProfileError } from "./errors.ts";
import type { SeccompArchName } from "./types.ts";

export type CmpOp = "NE" | "LT" | "LE" | "EQ" | "GE" | "GT" | "MASKED_EQ";

export interface Condition {
  readonly index: number;
  readonly op: CmpOp;
  /** For MASKED_EQ this is the mask. */
  readonly value: bigint;
  /** Only meaningful for MASKED_EQ: the value the masked argument must equal. */
  readonly valueTwo: bigint;
}

export interface CheckedSyscallRule {
  readonly names: readonly string[];
  readonly action: number;
  /**
   * Alternatives: the rule matches if every condition of any one set holds.
   * Normally a single set (all args ANDed). See `conditionSets()` for the
   * repeated-index case.
   */
  readonly conditionSets: readonly (readonly Condition[])[];
}

export interface CheckedProfile {
  readonly defaultAction: number;
  readonly flags: number;
  readonly usesNotify: boolean;
  readonly architectures: readonly SeccompArchName[];
  readonly syscalls: readonly CheckedSyscallRule[];
}

const U64_MAX = (1n << 64n) - 1n;
/** Kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO; larger values are almost certainly a mistake. */
const MAX_ERRNO = 4095;

const ACTIONS: ReadonlyMap<string, { ret: number; takesErrno: "errno" | "trace" | false }> = new Map([
  // libseccomp's SCMP_ACT_KILL has always meant "kill the thread".
  ["SCMP_ACT_KILL", { ret: SECCOMP_RET_KILL_THREAD, takesErrno: false }],
  ["SCMP_ACT_KILL_THREAD", { ret: SECCOMP_RET_KILL_THREAD, takesErrno: false }],
  ["SCMP_ACT_KILL_PROCESS", { ret: SECCOMP_RET_KILL_PROCESS, takesErrno: false }],
  ["SCMP_ACT_TRAP", { ret: SECCOMP_RET_TRAP, takesErrno: false }],
  ["SCMP_ACT_ERRNO", { ret: retErrno(0), takesErrno: "errno" }],
  ["SCMP_ACT_TRACE", { ret: SECCOMP_RET_TRACE, takesErrno: "trace" }],
  ["SCMP_ACT_ALLOW", { ret: SECCOMP_RET_ALLOW, takesErrno: false }],
  ["SCMP_ACT_LOG", { ret: SECCOMP_RET_LOG, takesErrno: false }],
  ["SCMP_ACT_NOTIFY", { ret: SECCOMP_RET_USER_NOTIF, takesErrno: false }],
]);

const OPS: ReadonlyMap<string, CmpOp> = new Map([
  ["SCMP_CMP_NE", "NE"],
  ["SCMP_CMP_LT", "LT"],
  ["SCMP_CMP_LE", "LE"],
  ["SCMP_CMP_EQ", "EQ"],
  ["SCMP_CMP_GE", "GE"],
  ["SCMP_CMP_GT", "GT"],
  ["SCMP_CMP_MASKED_EQ", "MASKED_EQ"],
]);

const FLAGS: ReadonlyMap<string, number> = new Map([
  ["SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC],
  ["SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG],
  ["SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW],
  ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV],
]);

const ARCH_NAMES: ReadonlySet<string> = new Set<SeccompArchName>([
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
]);

export function checkProfile(profile: unknown): CheckedProfile {
  const p = record(profile, "");
  const usesNotify = { value: false };
  const defaultAction = action(p, "defaultAction", "defaultErrnoRet", "", usesNotify);

  let flags = 0;
  optionalArray(p.flags, "flags").forEach((f, i) => {
    const bit = typeof f === "string" ? FLAGS.get(f) : undefined;
    if (bit === undefined) throw new SeccompProfileError(`flags[${i}]`, f, `unknown seccomp filter flag; expected one of ${[...FLAGS.keys()].join(", ")}`);
    flags |= bit;
  });

  const architectures = optionalArray(p.architectures, "architectures").map((a, i) => {
    if (typeof a !== "string" || !ARCH_NAMES.has(a)) throw new SeccompProfileError(`architectures[${i}]`, a, "unknown architecture");
    return a as SeccompArchName;
  });

  const syscalls = optionalArray(p.syscalls, "syscalls").map((raw, i): CheckedSyscallRule => {
    const path = `syscalls[${i}]`;
    const s = record(raw, path);
    if (!Array.isArray(s.names) || s.names.length === 0) {
      throw new SeccompProfileError(`${path}.names`, s.names, "must be a non-empty array of syscall names");
    }
    const names = s.names.map((n, j) => {
      if (typeof n !== "string" || n === "") throw new SeccompProfileError(`${path}.names[${j}]`, n, "must be a non-empty string");
      return n;
    });
    const act = action(s, "action", "errnoRet", `${path}.`, usesNotify);
    const conds = optionalArray(s.args, `${path}.args`).map((a, j) => condition(a, `${path}.args[${j}]`));
    return { names, action: act, conditionSets: conditionSets(conds) };
  });

  return { defaultAction, flags, usesNotify: usesNotify.value, architectures, syscalls };
}

/**
 * Conditions on distinct arguments are ANDed. When one argument index is
 * listed more than once, runc (the de-facto reference for OCI profiles)
 * turns each condition into its own rule, i.e. ORs them; profiles in the
 * wild rely on that, e.g. to allow personality(2) with one of several values.
 */
function conditionSets(conds: Condition[]): Condition[][] {
  const indexes = new Set(conds.map((c) => c.index));
  return indexes.size === conds.length ? [conds] : conds.map((c) => [c]);
}

function action(obj: Record<string, unknown>, field: string, errnoField: string, prefix: string, usesNotify: { value: boolean }): number {
  const name = obj[field];
  const spec = typeof name === "string" ? ACTIONS.get(name) : undefined;
  if (!spec) {
    throw new SeccompProfileError(`${prefix}${field}`, name, `unknown seccomp action; expected one of ${[...ACTIONS.keys()].join(", ")}`);
  }
  if (name === "SCMP_ACT_NOTIFY") usesNotify.value = true;
  const errno = obj[errnoField] ?? undefined;
  if (!spec.takesErrno) {
    if (errno !== undefined) {
      throw new SeccompProfileError(`${prefix}${errnoField}`, errno, `only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not ${String(name)}`);
    }
    return spec.ret;
  }
  const max = spec.takesErrno === "errno" ? MAX_ERRNO : 0xffff;
  if (errno !== undefined && !(typeof errno === "number" && Number.isInteger(errno) && errno >= 0 && errno <= max)) {
    throw new SeccompProfileError(`${prefix}${errnoField}`, errno, `must be an integer in 0..${max}`);
  }
  const data = (errno as number | undefined) ?? EPERM;
  return (spec.ret | data) >>> 0;
}

function condition(raw: unknown, path: string): Condition {
  const a = record(raw, path);
  const index = a.index;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= SYSCALL_ARG_COUNT) {
    throw new SeccompProfileError(`${path}.index`, index, `must be an integer in 0..${SYSCALL_ARG_COUNT - 1}`);
  }
  const op = typeof a.op === "string" ? OPS.get(a.op) : undefined;
  if (!op) throw new SeccompProfileError(`${path}.op`, a.op, `unknown comparison operator; expected one of ${[...OPS.keys()].join(", ")}`);
  const value = u64(a.value, `${path}.value`);
  const valueTwo = a.valueTwo === undefined || a.valueTwo === null ? 0n : u64(a.valueTwo, `${path}.valueTwo`);
  return { index, op, value, valueTwo };
}

function u64(v: unknown, path: string): bigint {
  if (typeof v === "bigint") {
    if (v < 0n || v > U64_MAX) throw new SeccompProfileError(path, v, "must be a uint64");
    return v;
  }
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0) throw new SeccompProfileError(path, v, "must be a non-negative integer (uint64)");
    if (!Number.isSafeInteger(v)) {
      throw new SeccompProfileError(path, v, "is above 2^53 and lost precision as a JS number; pass it as a bigint");
    }
    return BigInt(v);
  }
  throw new SeccompProfileError(path, v, "must be a uint64 (number or bigint)");
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new SeccompProfileError(path, v, "must be an object");
  }
  return v as Record<string, unknown>;
}

/** Absent and null both mean "not set" (Go encoders emit null for nil slices). */
function optionalArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SeccompProfileError(path, v, "must be an array");
  return v;
}
