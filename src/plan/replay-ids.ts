// Mirror of native/include/zoo_replay.h (the run cache's entry format);
// test/unit/plan/replay-ids.test.ts keeps them equal.
export const REPLAY_MAGIC = 0x524f4f5a;
export const REPLAY_VERSION = 1;
export const REPLAY_HEADER_SIZE = 16;
export const REPLAY_MAX_SIZE = 4 * 1024 * 1024;
export const REPLAY_KEY_TAG = "zoo-run-cache/1";
export const REPLAY_TOKEN_LEN = 8;
export const REPLAY_ENGINE_ID_LEN = 64;
export const REPLAY_SHORT_ID_LEN = 12;
export const REPLAY_BUN_NAME = "zoo-bun";
export const REPLAY_RUNTIME_ENV = ["ZOO_SHIM", "ZOO_CGROUP_PARENT", "XDG_RUNTIME_DIR", "ZOO_SECCOMP_CACHE", "ZOO_DEBUG", "NOTIFY_SOCKET", "LISTEN_FDS"] as const;
export const REPLAY_ENGINE_ENV = [...REPLAY_RUNTIME_ENV, "ZOO_ROOT", "ZOO_CGROUP_MANAGER", "ZOO_NET_HELPER", "HOME", "PATH", "DBUS_SYSTEM_BUS_ADDRESS"] as const;

export const RR = {
  KEY: 0x0001,
  GUARD_FILE: 0x0002,
  GUARD_STAT: 0x0003,
  FLAGS: 0x0004,
  SHIM: 0x0010,
  PLAN: 0x0011,
  PLAN_SITE: 0x0012,
  CLEANUP: 0x0013,
  MKDIR: 0x0020,
  LOCK: 0x0021,
  MKFIFO: 0x0022,
  OPEN: 0x0023,
  WRITE: 0x0024,
  REPLACE: 0x0025,
  DEVICE_BPF: 0x0026,
  RMDIR: 0x0027,
  RMTREE: 0x0028,
  START: 0x0029,
  UNLOCK: 0x002a,
  RMTREE_ALL: 0x002b,
  OOM_NOTE: 0x002c,
  NETLINK: 0x002d,
  DBUS: 0x002e,
  AWAIT_CGROUP: 0x002f,
  LEASE: 0x0030,
  RELEASE: 0x0031,
} as const;

export const RFlag = { ENGINE_ID: 1, NO_CREATED: 2, RAISE: 4, FOREGROUND: 8 } as const;

export const Guard = { ABSENT: 0, DIR: 1, NOT_DIR: 2 } as const;
export const Site = { ID: 1, TOKEN: 2, ID_SHORT: 3, SELF_PID: 4, CHILD_PID: 5 } as const;
export const NetlinkWhere = { CONTAINER: 0, HOST: 1 } as const;
export const Phase = { PREPARE: 0, SPAWNED: 1, CHILD: 2, CREATED: 3, TEARDOWN: 4 } as const;
export const RMkdir = { EXIST_OK: 1, KEEP: 2 } as const;
export const RRmdir = { RETRY_BUSY: 1, ENOENT_OK: 2 } as const;

/** Markers in host-op strings: MARK, then one of Mark's letters. */
export const MARK = 0x01;
export const Mark = {
  ID: "I",
  ID_SHORT: "i",
  TOKEN: "T",
  PID: "P",
  SHIM_PID: "S",
  PID_START: "p",
  SHIM_START: "s",
  SELF_PID: "F",
  SELF_START: "f",
  CREATED: "C",
} as const;

export type PhaseId = (typeof Phase)[keyof typeof Phase];
export type MarkLetter = (typeof Mark)[keyof typeof Mark];
