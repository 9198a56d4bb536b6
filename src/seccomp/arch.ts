import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_X86_64 } from "./bpf.ts";
import { SeccompError } from "./errors.ts";
import { AARCH64_SYSCALLS } from "./tables/aarch64.ts";
import { X86_64_SYSCALLS } from "./tables/x86_64.ts";
import type { SeccompArchName, TargetArch } from "./types.ts";

export interface ArchInfo {
  readonly arch: TargetArch;
  readonly auditArch: number;
  readonly scmpName: SeccompArchName;
  readonly syscalls: ReadonlyMap<string, number>;
  /** Highest number in the generated table: anything above is newer than the build machine's headers. */
  readonly maxKnownNr: number;
  /**
   * Lowest nr that is not a native syscall of this arch. On x86_64 the x32 ABI
   * shares AUDIT_ARCH_X86_64 and is told apart only by bit 30 of nr.
   */
  readonly nativeLimit: number;
}

function info(arch: TargetArch, auditArch: number, scmpName: SeccompArchName, syscalls: ReadonlyMap<string, number>, nativeLimit: number): ArchInfo {
  return { arch, auditArch, scmpName, syscalls, maxKnownNr: Math.max(...syscalls.values()), nativeLimit };
}

const ARCHES: Readonly<Record<TargetArch, ArchInfo>> = {
  x86_64: info("x86_64", AUDIT_ARCH_X86_64, "SCMP_ARCH_X86_64", X86_64_SYSCALLS, 0x40000000),
  aarch64: info("aarch64", AUDIT_ARCH_AARCH64, "SCMP_ARCH_AARCH64", AARCH64_SYSCALLS, 0x1_0000_0000),
};

export function archInfo(arch: TargetArch): ArchInfo {
  const a = ARCHES[arch];
  if (!a) throw new SeccompError(`unsupported seccomp target arch '${String(arch)}' (expected x86_64 or aarch64)`);
  return a;
}

/** Maps a Node/Bun `process.arch` value to a seccomp target. */
export function targetArchFor(nodeArch: string): TargetArch {
  if (nodeArch === "x64") return "x86_64";
  if (nodeArch === "arm64") return "aarch64";
  throw new SeccompError(`no seccomp syscall table for host arch '${nodeArch}' (supported: x64, arm64)`);
}

export function hostArch(): TargetArch {
  return targetArchFor(process.arch);
}

/** Syscall number for `name` on `arch`, or undefined when this arch has no such syscall. */
export function syscallNumber(arch: TargetArch, name: string): number | undefined {
  return archInfo(arch).syscalls.get(name);
}
