// Mirror of native/include/zoo_plan.h; test/unit/plan/ids.test.ts keeps them equal.
export const PLAN_MAGIC = 0x504f4f5a;
export const PLAN_VERSION = 1;
export const PLAN_HEADER_SIZE = 16;
export const PLAN_MAX_SIZE = 16 * 1024 * 1024;

export const Rec = {
  CLONE: 0x0001,
  CGROUP_FD: 0x0002,
  SETNS: 0x0003,
  OPTIONS: 0x0004,
  PROCESS_NAME: 0x0005,
  ROOTFS: 0x0006,
} as const;

export const Op = {
  MOUNT: 0x0100,
  MKDIR: 0x0101,
  DEVICE: 0x0102,
  SYMLINK: 0x0103,
  CHDIR: 0x0104,
  PIVOT_ROOT: 0x0105,
  UMOUNT: 0x0106,
  SETHOSTNAME: 0x0107,
  SETDOMAINNAME: 0x0108,
  RLIMIT: 0x0109,
  UNSHARE: 0x010a,
  CHROOT: 0x010b,
  SETGROUPS: 0x010c,
  SETGID: 0x010d,
  SETUID: 0x010e,
  CAPS: 0x010f,
  NO_NEW_PRIVS: 0x0110,
  SECCOMP: 0x0111,
  UMASK: 0x0112,
  WRITE_FILE: 0x0113,
  MASK_PATH: 0x0114,
  WAIT_START: 0x0115,
  CLOSE_FDS: 0x0116,
  READONLY_PATH: 0x0117,
  TTY: 0x0118,
  SECCOMP_LISTENER: 0x0119,
  PERSONALITY: 0x011a,
  TIME_NS: 0x011b,
  EXEC: 0x01ff,
} as const;

export const Opt = { FOREGROUND: 0x1, WAIT_SETUP: 0x2, EXIT_ON_START: 0x4, INIT: 0x8 } as const;
export const MkdirFlag = { PARENTS: 0x1, EXIST_OK: 0x2 } as const;
export const WriteFlag = { CREATE: 0x1 } as const;

export const Msg = {
  CHILD_PID: 1,
  SETUP_DONE: 2,
  STARTED: 3,
  ERROR: 4,
  EXIT: 5,
  SIGNAL: 6,
  CREATED: 7,
  ABORT: 8,
  CLEANUP: 9,
  HELPER: 10,
} as const;

export const Stage = { PLAN: 1, SETNS: 2, CLONE: 3, SYNC: 4, OP: 5, EXEC: 6 } as const;

export type OpId = (typeof Op)[keyof typeof Op];
export type RecId = (typeof Rec)[keyof typeof Rec];
