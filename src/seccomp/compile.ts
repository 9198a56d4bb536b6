/**
 * Compiles an OCI `linux.seccomp` profile into a classic BPF seccomp filter.
 *
 * Program shape:
 *   1. seccomp_data.arch must be the target arch, else KILL_PROCESS. A filter
 *      written in one arch's syscall numbers means nothing for another ABI
 *      (e.g. int 0x80 from an x86_64 process), and runc/libseccomp kill too.
 *   2. x86_64 only: nr >= 0x40000000 (the x32 ABI, or garbage) never reaches
 *      the rule lookup; see `unknownSyscallAction`.
 *   3. A balanced binary search (JGE) over syscall-number intervals. Adjacent
 *      numbers with the same unconditional outcome share an interval, so an
 *      allow-list of hundreds of syscalls collapses to a few dozen ranges and
 *      every syscall costs O(log n) comparisons.
 *   4. At a leaf, either a RET, or the syscall's argument rules in profile
 *      order: the first rule whose conditions all hold decides; otherwise the
 *      default action.
 *
 * Pure and deterministic: the same profile and options give identical bytes,
 * so the runtime can cache compiled filters by hash.
 */
import { archInfo, hostArch, type ArchInfo } from "./arch.ts";
import { Assembler, Label } from "./assemble.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_MAXINSNS,
  BPF_W,
  ENOSYS,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_USER_NOTIF,
  argHighOffset,
  argLowOffset,
  encodeProgram,
  retErrno,
  type SockFilter,
} from "./bpf.ts";
import { SeccompProgramTooLargeError } from "./errors.ts";
import type { LinuxSeccomp, SeccompArchName, TargetArch } from "./types.ts";
import { checkProfile, type Condition } from "./validate.ts";

export interface CompileOptions {
  /** Defaults to the host (process.arch x64 -> x86_64, arm64 -> aarch64). */
  arch?: TargetArch;
  /**
   * Syscall numbers above the newest one in the generated table are syscalls
   * the kernel has but this build cannot name, e.g. fchmodat2 on a kernel
   * newer than the build machine's headers. A deny-list profile cannot have
   * rules for them, so under a permissive default they would bypass the
   * profile's intent (fchmodat2 is fchmodat with flags). "enosys" (default)
   * answers them with ENOSYS, exactly what an older kernel says, so libc
   * falls back to the older syscall the profile does cover. "default" gives
   * them the profile's default action instead.
   */
  newerSyscalls?: "enosys" | "default";
}

export interface CompiledSeccomp {
  arch: TargetArch;
  program: readonly SockFilter[];
  /** struct sock_filter[] as stored in the runtime plan (8 bytes per instruction, little-endian). */
  bytes: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, ...). */
  flags: number;
  /** SCMP_ACT_NOTIFY is used: the loader gets a listener fd (flags include NEW_LISTENER) to hand to listenerPath. */
  needsListener: boolean;
  /** Profile names with no syscall on this arch, skipped like libseccomp-based runtimes do (first-seen order). */
  skippedNames: readonly string[];
  /** Listed architectures other than the target; the filter kills their syscalls. */
  ignoredArchitectures: readonly SeccompArchName[];
}

interface Rule {
  conds: readonly Condition[];
  action: number;
}

type Outcome = { kind: "ret"; action: number } | { kind: "rules"; rules: readonly Rule[] };

interface Segment {
  /** First syscall number of the interval; it runs up to the next segment's start. */
  start: number;
  outcome: Outcome;
}

const U32_MAX = 0xffffffff;

/**
 * `profile` is typed for callers building it in code, but it is validated at
 * runtime as untrusted input (it usually comes from config.json).
 * Throws SeccompProfileError or SeccompProgramTooLargeError.
 */
export function compileSeccomp(profile: LinuxSeccomp, options: CompileOptions = {}): CompiledSeccomp {
  const arch = archInfo(options.arch ?? hostArch());
  const checked = checkProfile(profile);
  const defaultAction = checked.defaultAction;

  const skipped = new Set<string>();
  const rulesByNr = new Map<number, Rule[]>();
  for (const entry of checked.syscalls) {
    for (const name of new Set(entry.names)) {
      const nr = arch.syscalls.get(name);
      if (nr === undefined) {
        skipped.add(name);
        continue;
      }
      let list = rulesByNr.get(nr);
      if (!list) rulesByNr.set(nr, (list = []));
      for (const conds of entry.conditionSets) list.push({ conds, action: entry.action });
    }
  }

  const segments = buildSegments(arch, rulesByNr, defaultAction, options.newerSyscalls ?? "enosys");
  const asm = new Assembler();
  emitPrologue(asm, arch, unknownSyscallAction(defaultAction));
  emitSearch(asm, segments, 0, segments.length - 1, defaultAction);
  const program = asm.finish();
  if (program.length > BPF_MAXINSNS) throw new SeccompProgramTooLargeError(program.length, BPF_MAXINSNS);

  let flags = checked.flags;
  if (checked.usesNotify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC together with NEW_LISTENER unless TSYNC_ESRCH says how to report failure.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }

  return {
    arch: arch.arch,
    program,
    bytes: encodeProgram(program),
    flags,
    needsListener: checked.usesNotify,
    skippedNames: [...skipped],
    ignoredArchitectures: [...new Set(checked.architectures.filter((a) => a !== arch.scmpName))],
  };
}

/** Actions under which the kernel would go on to run the syscall (or let a supervisor decide to). */
function isPermissive(action: number): boolean {
  const a = (action & SECCOMP_RET_ACTION_FULL) >>> 0;
  return a === SECCOMP_RET_ALLOW || a === SECCOMP_RET_LOG || a === SECCOMP_RET_TRACE || a === SECCOMP_RET_USER_NOTIF;
}

/**
 * What syscalls the profile cannot express get (x32 numbers, and numbers
 * newer than the table). If the default already refuses (ERRNO, KILL, TRAP)
 * that refusal stands, as the profile author asked. If the default would run
 * the call, they get ENOSYS instead: otherwise a deny-list is bypassed by
 * calling the x32 or newer twin of a denied syscall. ENOSYS is what a kernel
 * without x32 support or without the newer syscall answers, so well-behaved
 * programs fall back.
 */
function unknownSyscallAction(defaultAction: number): number {
  return isPermissive(defaultAction) ? retErrno(ENOSYS) : defaultAction;
}

function buildSegments(arch: ArchInfo, rulesByNr: ReadonlyMap<number, Rule[]>, defaultAction: number, newer: "enosys" | "default"): Segment[] {
  const segments: Segment[] = [];
  const add = (start: number, outcome: Outcome) => {
    const prev = segments.at(-1);
    if (prev && outcome.kind === "ret" && prev.outcome.kind === "ret" && prev.outcome.action === outcome.action) return;
    segments.push({ start, outcome });
  };
  let cursor = 0;
  for (const nr of [...rulesByNr.keys()].sort((a, b) => a - b)) {
    const outcome = simplify(rulesByNr.get(nr)!, defaultAction);
    if (!outcome) continue; // every rule resolves to the default action
    if (nr > cursor) add(cursor, { kind: "ret", action: defaultAction });
    add(nr, outcome);
    cursor = nr + 1;
  }
  // Every table number is <= maxKnownNr, so cursor never passes `tail`.
  const tail = newer === "enosys" ? Math.min(arch.maxKnownNr + 1, arch.nativeLimit) : arch.nativeLimit;
  if (cursor < tail) add(cursor, { kind: "ret", action: defaultAction });
  if (tail < arch.nativeLimit) add(tail, { kind: "ret", action: unknownSyscallAction(defaultAction) });
  return segments;
}

/**
 * Drops conditions that always hold and rules that can never match, stops at
 * the first unconditional rule (nothing after it is reachable), and trims
 * trailing rules that merely repeat the default action. Returns undefined
 * when the syscall behaves exactly like the default.
 */
function simplify(rules: readonly Rule[], defaultAction: number): Outcome | undefined {
  const out: Rule[] = [];
  for (const rule of rules) {
    const conds: Condition[] = [];
    let never = false;
    for (const c of rule.conds) {
      const t = truth(c);
      if (t === "never") never = true;
      if (t === "depends") conds.push(c);
    }
    if (never) continue;
    out.push({ conds, action: rule.action });
    if (conds.length === 0) break;
  }
  while (out.length > 0 && out.at(-1)!.action === defaultAction) out.pop();
  if (out.length === 0) return undefined;
  if (out.length === 1 && out[0]!.conds.length === 0) return { kind: "ret", action: out[0]!.action };
  return { kind: "rules", rules: out };
}

const U64_MAX = (1n << 64n) - 1n;

function truth(c: Condition): "always" | "never" | "depends" {
  switch (c.op) {
    case "MASKED_EQ":
      if ((c.valueTwo & ~c.value) !== 0n) return "never"; // wants a bit the mask clears
      return c.value === 0n ? "always" : "depends";
    case "GE":
      return c.value === 0n ? "always" : "depends";
    case "LT":
      return c.value === 0n ? "never" : "depends";
    case "LE":
      return c.value === U64_MAX ? "always" : "depends";
    case "GT":
      return c.value === U64_MAX ? "never" : "depends";
    default:
      return "depends";
  }
}

function emitPrologue(asm: Assembler, arch: ArchInfo, unknownAction: number): void {
  const native = new Label();
  asm.stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH);
  asm.jump(BPF_JMP | BPF_JEQ | BPF_K, arch.auditArch, native, undefined);
  asm.ret(SECCOMP_RET_KILL_PROCESS);
  asm.bind(native);
  asm.stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR);
  if (arch.nativeLimit <= U32_MAX) {
    const inRange = new Label();
    asm.jump(BPF_JMP | BPF_JGE | BPF_K, arch.nativeLimit, undefined, inRange);
    asm.ret(unknownAction);
    asm.bind(inRange);
  }
}

/** Binary search over segments[lo..hi]; the accumulator holds nr. */
function emitSearch(asm: Assembler, segments: readonly Segment[], lo: number, hi: number, defaultAction: number): void {
  if (lo === hi) {
    emitOutcome(asm, segments[lo]!.outcome, defaultAction);
    return;
  }
  const mid = (lo + hi + 1) >> 1;
  const upper = new Label();
  asm.jump(BPF_JMP | BPF_JGE | BPF_K, segments[mid]!.start, upper, undefined);
  emitSearch(asm, segments, lo, mid - 1, defaultAction);
  asm.bind(upper);
  emitSearch(asm, segments, mid, hi, defaultAction);
}

function emitOutcome(asm: Assembler, outcome: Outcome, defaultAction: number): void {
  if (outcome.kind === "ret") {
    asm.ret(outcome.action);
    return;
  }
  for (const rule of outcome.rules) {
    if (rule.conds.length === 0) {
      asm.ret(rule.action); // simplify() made this the last rule
      return;
    }
    const nextRule = new Label();
    for (const c of rule.conds) emitCondition(asm, c, nextRule);
    asm.ret(rule.action);
    asm.bind(nextRule);
  }
  asm.ret(defaultAction);
}

const ld = (asm: Assembler, offset: number) => asm.stmt(BPF_LD | BPF_W | BPF_ABS, offset);
const jeq = BPF_JMP | BPF_JEQ | BPF_K;
const jgt = BPF_JMP | BPF_JGT | BPF_K;
const jge = BPF_JMP | BPF_JGE | BPF_K;
const jset = BPF_JMP | BPF_JSET | BPF_K;

function words(v: bigint): { hi: number; lo: number } {
  return { hi: Number(v >> 32n), lo: Number(v & 0xffffffffn) };
}

/**
 * Emits a 64-bit comparison on two 32-bit loads. Falls through when the
 * condition holds, jumps to `fail` when it does not.
 */
function emitCondition(asm: Assembler, c: Condition, fail: Label): void {
  const hiOff = argHighOffset(c.index);
  const loOff = argLowOffset(c.index);
  const v = words(c.value);
  const pass = new Label();
  switch (c.op) {
    case "EQ":
      ld(asm, hiOff);
      asm.jump(jeq, v.hi, undefined, fail);
      ld(asm, loOff);
      asm.jump(jeq, v.lo, undefined, fail);
      return;
    case "NE":
      ld(asm, hiOff);
      asm.jump(jeq, v.hi, undefined, pass);
      ld(asm, loOff);
      asm.jump(jeq, v.lo, fail, undefined);
      asm.bind(pass);
      return;
    case "MASKED_EQ": {
      const m = words(c.value);
      const want = words(c.valueTwo);
      emitMaskedWord(asm, hiOff, m.hi, want.hi, fail);
      emitMaskedWord(asm, loOff, m.lo, want.lo, fail);
      return;
    }
    case "GT":
    case "GE":
      // Decided by the high word unless it is equal; then the low word decides.
      ld(asm, hiOff);
      if (v.hi !== U32_MAX) asm.jump(jgt, v.hi, pass, undefined);
      if (v.hi !== 0) asm.jump(jeq, v.hi, undefined, fail); // after JGT 0 failed, hi is already 0
      ld(asm, loOff);
      asm.jump(c.op === "GT" ? jgt : jge, v.lo, undefined, fail);
      asm.bind(pass);
      return;
    case "LT":
    case "LE":
      ld(asm, hiOff);
      if (v.hi !== U32_MAX) asm.jump(jgt, v.hi, fail, undefined);
      if (v.hi !== 0) asm.jump(jeq, v.hi, undefined, pass);
      ld(asm, loOff);
      asm.jump(c.op === "LT" ? jge : jgt, v.lo, fail, undefined);
      asm.bind(pass);
      return;
  }
}

/** (word & mask) == want, using the cheapest test for common mask shapes. */
function emitMaskedWord(asm: Assembler, offset: number, mask: number, want: number, fail: Label): void {
  if (mask === 0) return; // truth() guarantees want is 0 too
  ld(asm, offset);
  if (mask === U32_MAX) {
    asm.jump(jeq, want, undefined, fail);
  } else if (want === 0) {
    asm.jump(jset, mask, fail, undefined);
  } else if (want === mask && (mask & (mask - 1)) === 0) {
    asm.jump(jset, mask, undefined, fail); // single bit that must be set
  } else {
    asm.stmt(BPF_ALU | BPF_AND | BPF_K, mask);
    asm.jump(jeq, want, undefined, fail);
  }
}
