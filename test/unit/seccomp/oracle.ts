/**
 * The intended semantics of a profile, evaluated directly on seccomp_data
 * without BPF: the tests compare the compiled program against this.
 * Deliberately naive (linear scan, BigInt arithmetic) so it is easy to trust.
 */
import type { LinuxSeccomp, TargetArch } from "../../../src/seccomp/types.ts";
import { AARCH64_SYSCALLS } from "../../../src/seccomp/tables/aarch64.ts";
import { X86_64_SYSCALLS } from "../../../src/seccomp/tables/x86_64.ts";
import type { SeccompData } from "./interp.ts";

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x30000,
  ERRNO: 0x50000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const errno = (e: number) => (RET.ERRNO | e) >>> 0;

export const ARCH = {
  x86_64: { audit: 0xc000003e, table: X86_64_SYSCALLS },
  aarch64: { audit: 0xc00000b7, table: AARCH64_SYSCALLS },
} as const;

export function actionValue(name: string, errnoRet: number | undefined): number {
  const data = errnoRet ?? 1;
  switch (name) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return RET.KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return RET.KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return RET.TRAP;
    case "SCMP_ACT_ERRNO":
      return (RET.ERRNO | data) >>> 0;
    case "SCMP_ACT_TRACE":
      return (RET.TRACE | data) >>> 0;
    case "SCMP_ACT_ALLOW":
      return RET.ALLOW;
    case "SCMP_ACT_LOG":
      return RET.LOG;
    case "SCMP_ACT_NOTIFY":
      return RET.USER_NOTIF;
  }
  throw new Error(`oracle: unknown action ${name}`);
}

function compare(op: string, arg: bigint, value: bigint, valueTwo: bigint): boolean {
  switch (op) {
    case "SCMP_CMP_NE": return arg !== value;
    case "SCMP_CMP_LT": return arg < value;
    case "SCMP_CMP_LE": return arg <= value;
    case "SCMP_CMP_EQ": return arg === value;
    case "SCMP_CMP_GE": return arg >= value;
    case "SCMP_CMP_GT": return arg > value;
    case "SCMP_CMP_MASKED_EQ": return (arg & value) === valueTwo;
  }
  throw new Error(`oracle: unknown op ${op}`);
}

export function expectedAction(
  profile: LinuxSeccomp,
  arch: TargetArch,
  d: SeccompData,
  newer: "enosys" | "default" = "enosys",
): number {
  const { audit, table } = ARCH[arch];
  if (d.arch >>> 0 !== audit) return RET.KILL_PROCESS;
  const def = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const top = def & 0xffff0000;
  const permissive = top === RET.ALLOW || top === RET.LOG || top === RET.TRACE || top === RET.USER_NOTIF;
  const unknown = permissive ? errno(38) : def;
  const nr = d.nr >>> 0;
  if (arch === "x86_64" && nr >= 0x40000000) return unknown;

  for (const s of profile.syscalls ?? []) {
    if (!s.names.some((n) => table.get(n) === nr)) continue;
    const args = s.args ?? [];
    const holds = (a: (typeof args)[number]) =>
      compare(a.op, BigInt.asUintN(64, d.args?.[a.index] ?? 0n), BigInt(a.value), BigInt(a.valueTwo ?? 0));
    const repeated = new Set(args.map((a) => a.index)).size !== args.length;
    const matched = args.length === 0 || (repeated ? args.some(holds) : args.every(holds));
    if (matched) return actionValue(s.action, s.errnoRet);
  }
  const max = Math.max(...table.values());
  if (newer === "enosys" && nr > max) return unknown;
  return def;
}
