/**
 * The zookeeper assignment's seccomp deny list as an OCI `linux.seccomp`
 * object: everything is allowed except a handful of privilege-escalation and
 * kernel-attack-surface syscalls, which fail with EPERM.
 */
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from "../types.ts";

export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const CLONE_NEWUSER = 0x10000000;
export const TIOCSTI = 0x5412;

const EPERM = 1;
const ENOSYS = 38;

/** Syscalls denied whatever their arguments. */
export const ZOOKEEPER_ALWAYS_DENIED = [
  "keyctl",
  "add_key",
  "request_key",
  "ptrace",
  "mbind",
  "migrate_pages",
  "move_pages",
  "set_mempolicy",
  "userfaultfd",
  "perf_event_open",
] as const;

/** MASKED_EQ (arg & bit) == bit: "the bit is set", whatever else is in the argument. */
function bitSet(index: number, bit: number): LinuxSeccompArg {
  return { index, op: "SCMP_CMP_MASKED_EQ", value: bit, valueTwo: bit };
}

function eperm(names: string[], args?: LinuxSeccompArg[]): LinuxSyscall {
  return args ? { names, action: "SCMP_ACT_ERRNO", errnoRet: EPERM, args } : { names, action: "SCMP_ACT_ERRNO", errnoRet: EPERM };
}

/** A fresh object each call, so a caller that edits its copy cannot change anyone else's. */
export function zookeeperSeccompProfile(): LinuxSeccomp {
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [
      // setuid/setgid files. "Either bit" needs two rules: one MASKED_EQ tests one exact bit pattern.
      eperm(["chmod", "fchmod"], [bitSet(1, S_ISUID)]),
      eperm(["chmod", "fchmod"], [bitSet(1, S_ISGID)]),
      // fchmodat2 (Linux 6.6) takes the mode in the same slot; skipped on tables that predate it,
      // in which case the compiler's newer-syscall ENOSYS guard covers it.
      eperm(["fchmodat", "fchmodat2"], [bitSet(2, S_ISUID)]),
      eperm(["fchmodat", "fchmodat2"], [bitSet(2, S_ISGID)]),
      // New user namespaces are the usual first step of kernel privilege escalation.
      eperm(["unshare", "clone"], [bitSet(0, CLONE_NEWUSER)]),
      // TIOCSTI injects input into the controlling terminal. The kernel truncates the ioctl cmd
      // to 32 bits, so compare only the low word: garbage in the high word must not slip past.
      eperm(["ioctl"], [{ index: 1, op: "SCMP_CMP_MASKED_EQ", value: 0xffffffff, valueTwo: TIOCSTI }]),
      eperm([...ZOOKEEPER_ALWAYS_DENIED]),
      // clone3 passes its flags in a struct seccomp cannot read, so CLONE_NEWUSER could not be
      // checked. ENOSYS (not EPERM) makes glibc fall back to clone(2), which the rule above checks.
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
    ],
  };
}
