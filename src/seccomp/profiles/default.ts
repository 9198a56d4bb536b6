/**
 * zoo's default seccomp profile, equivalent to Docker's default: an allow-list
 * (everything else fails with EPERM) whose capability-gated groups are kept
 * as data and resolved against the container's capabilities, so that
 * `--cap-add SYS_ADMIN` also unlocks the syscalls SYS_ADMIN is for.
 */
import { hostArch } from "../arch.ts";
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, TargetArch } from "../types.ts";

const EPERM = 1;
const ENOSYS = 38;

/** The CLONE_NEW* bits clone(2) can carry; CLONE_NEWTIME (0x80) overlaps the exit-signal byte, so only clone3/unshare take it. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** A rule plus the conditions under which it is part of the profile. */
export interface GatedRule extends LinuxSyscall {
  includes?: { caps?: string[]; arches?: TargetArch[] };
  excludes?: { caps?: string[]; arches?: TargetArch[] };
}

const allow = (names: string[], gate: Pick<GatedRule, "includes" | "excludes"> = {}, args?: LinuxSeccompArg[]): GatedRule => ({
  names,
  action: "SCMP_ACT_ALLOW",
  ...(args ? { args } : {}),
  ...gate,
});
const withCap = (cap: string, names: string[]) => allow(names, { includes: { caps: [cap] } });

// Names missing from the target arch's table (32-bit twins, old calls) are
// skipped by the compiler, so one list serves both arches.
// io_uring_* are left out, as in Docker's profile since 25.0: io_uring has been
// a steady source of kernel privilege escalations, and it performs file and
// network operations that seccomp never sees as syscalls.
const ALWAYS_ALLOWED = [
  "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod", "chown",
  "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
  "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
  "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
  "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
  "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir",
  "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
  "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
  "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu",
  "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
  "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
  "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
  "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
  "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
  "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
  "io_submit", "ipc", "kill", "landlock_add_rule",
  "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
  "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
  "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mlock", "mlock2",
  "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
  "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget",
  "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
  "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
  "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
  "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
  "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
  "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
  "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
  "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
  "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
  "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
  "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
  "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
  "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
  "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
  "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
  "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
  "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
  "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
  "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
  "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
  "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
];

/** personality(2) values Docker lets through: PER_LINUX, PER_LINUX32, UNAME26 and those combined, and the 0xffffffff query. */
export const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** AF_VSOCK: sockets to the hypervisor, outside what a container's network namespace isolates. */
const AF_VSOCK = 40;

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const NODE_TYPES = [0, 0o100000 /* S_IFREG */, 0o010000 /* S_IFIFO */, 0o140000 /* S_IFSOCK */];
/** new_encode_dev for minors below 256. */
const dev = (major: number, minor: number) => (major << 8) | minor;

/**
 * Character devices a container may create: the ones Docker's device cgroup
 * lets it use (null, zero, full, random, urandom, tty, console, ptmx, tun,
 * and pts by major only). [value, mask] over the kernel's dev encoding.
 */
export const MKNOD_CHAR_DEVICES: readonly [number, number][] = [
  ...[[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [10, 200]].map(([ma, mi]) => [dev(ma!, mi!), 0xfffff] as [number, number]),
  [dev(136, 0), 0xfff00],
];

/**
 * Docker allows mknod and relies on its device cgroup to make block and
 * other device nodes useless; zoo sets up no device cgroup, so with
 * CAP_MKNOD a container could make a node for the host's disk and open it.
 * Instead the filter lets through only files, fifos, sockets and the
 * harmless character devices. Both args are 32-bit in the kernel, so the
 * masks ignore the upper half.
 */
function mknodRules(): GatedRule[] {
  const rules: GatedRule[] = [];
  for (const [name, modeArg, devArg] of [["mknod", 1, 2], ["mknodat", 2, 3]] as const) {
    const type = (t: number): LinuxSeccompArg => ({ index: modeArg, op: "SCMP_CMP_MASKED_EQ", value: S_IFMT, valueTwo: t });
    for (const t of NODE_TYPES) rules.push(allow([name], {}, [type(t)]));
    for (const [value, mask] of MKNOD_CHAR_DEVICES) {
      rules.push(allow([name], {}, [type(S_IFCHR), { index: devArg, op: "SCMP_CMP_MASKED_EQ", value: mask, valueTwo: value }]));
    }
  }
  return rules;
}

export const DEFAULT_RULES: readonly GatedRule[] = [
  allow(ALWAYS_ALLOWED),
  ...mknodRules(),
  allow(["socket"], {}, [{ index: 0, op: "SCMP_CMP_NE", value: AF_VSOCK }]),
  ...ALLOWED_PERSONALITIES.map((v) => allow(["personality"], {}, [{ index: 0, op: "SCMP_CMP_EQ", value: v }])),
  allow(["arch_prctl", "modify_ldt"], { includes: { arches: ["x86_64"] } }),
  allow(["sync_file_range2"], { includes: { arches: ["aarch64"] } }),
  withCap("CAP_DAC_READ_SEARCH", ["open_by_handle_at"]),
  withCap("CAP_SYS_ADMIN", [
    "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
    "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
    "sethostname", "setns", "syslog", "umount", "umount2", "unshare",
  ]),
  // Without CAP_SYS_ADMIN: threads and processes yes, new namespaces no.
  allow(["clone"], { excludes: { caps: ["CAP_SYS_ADMIN"] } }, [
    { index: 0, op: "SCMP_CMP_MASKED_EQ", value: CLONE_NAMESPACE_FLAGS, valueTwo: 0 },
  ]),
  // clone3's flags sit in a struct seccomp cannot read; ENOSYS sends libc back to clone(2), which the rule above checks.
  { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS, excludes: { caps: ["CAP_SYS_ADMIN"] } },
  withCap("CAP_SYS_BOOT", ["reboot"]),
  withCap("CAP_SYS_CHROOT", ["chroot"]),
  withCap("CAP_SYS_MODULE", ["delete_module", "init_module", "finit_module"]),
  withCap("CAP_SYS_PACCT", ["acct"]),
  withCap("CAP_SYS_PTRACE", ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"]),
  withCap("CAP_SYS_RAWIO", ["iopl", "ioperm"]),
  withCap("CAP_SYS_TIME", ["settimeofday", "stime", "clock_settime", "clock_settime64"]),
  withCap("CAP_SYS_TTY_CONFIG", ["vhangup"]),
  withCap("CAP_SYS_NICE", ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
  withCap("CAP_SYSLOG", ["syslog"]),
  withCap("CAP_BPF", ["bpf"]),
  withCap("CAP_PERFMON", ["perf_event_open"]),
];

/**
 * Keeps the rules whose gates hold for `caps` on `arch`, in order, without
 * their gates. Docker's gate semantics: every included cap and arch must be
 * present, and any excluded one removes the rule.
 */
export function resolveGated(rules: readonly GatedRule[], caps: readonly string[], arch: TargetArch): LinuxSyscall[] {
  const have = new Set(caps.map((c) => c.toUpperCase()));
  const out: LinuxSyscall[] = [];
  for (const { includes, excludes, ...rule } of rules) {
    if (includes?.caps && !includes.caps.every((c) => have.has(c))) continue;
    if (includes?.arches && !includes.arches.includes(arch)) continue;
    if (excludes?.caps?.some((c) => have.has(c))) continue;
    if (excludes?.arches?.includes(arch)) continue;
    out.push(rule);
  }
  return out;
}

/** The default profile for a container whose effective capability set is `caps`. A fresh object each call. */
export function defaultProfileFor(caps: readonly string[], arch: TargetArch = hostArch()): LinuxSeccomp {
  return { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: EPERM, syscalls: resolveGated(DEFAULT_RULES, caps, arch) };
}
