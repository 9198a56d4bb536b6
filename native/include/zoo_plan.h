/*
 * zoo plan and sync protocol: the one list of numeric IDs shared by the C
 * shim and the TypeScript side. src/plan/ids.ts mirrors this file and
 * test/unit/plan/ids.test.ts fails if the two drift apart.
 * Layout and semantics: docs/design/plan-format.md, docs/design/sync-protocol.md.
 */
#ifndef ZOO_PLAN_H
#define ZOO_PLAN_H

#define ZOO_PLAN_MAGIC 0x504F4F5Au /* bytes "ZOOP" little-endian */
#define ZOO_PLAN_VERSION 1u
#define ZOO_PLAN_HEADER_SIZE 16u
#define ZOO_PLAN_MAX_SIZE (16u * 1024u * 1024u)

/* Setup records: read by the shim before clone. */
#define ZOO_REC_CLONE 0x0001        /* u64 clone_flags */
#define ZOO_REC_CGROUP_FD 0x0002    /* i32 fd for CLONE_INTO_CGROUP */
#define ZOO_REC_SETNS 0x0003        /* i32 nstype, str path */
#define ZOO_REC_OPTIONS 0x0004      /* u32 option bits (ZOO_OPT_*) */
#define ZOO_REC_PROCESS_NAME 0x0005 /* str: comm of the child before exec */
#define ZOO_REC_ROOTFS 0x0006       /* str: where the rootfs is mounted; op paths under it resolve inside it until PIVOT_ROOT */

/* Ops: run by the child, in record order, after GO. */
#define ZOO_OP_MOUNT 0x0100        /* u64 flags, str source, str target, str fstype, str data */
#define ZOO_OP_MKDIR 0x0101        /* u32 mode, u32 flags (ZOO_MKDIR_*), str path */
#define ZOO_OP_DEVICE 0x0102       /* u32 mode, u32 major, u32 minor, u32 uid, u32 gid, str path, str bind_fallback */
#define ZOO_OP_SYMLINK 0x0103      /* str target, str linkpath */
#define ZOO_OP_CHDIR 0x0104        /* str path */
#define ZOO_OP_PIVOT_ROOT 0x0105   /* str new_root, str put_old */
#define ZOO_OP_UMOUNT 0x0106       /* u32 flags, str path */
#define ZOO_OP_SETHOSTNAME 0x0107  /* str */
#define ZOO_OP_SETDOMAINNAME 0x0108 /* str */
#define ZOO_OP_RLIMIT 0x0109       /* u32 resource, u64 soft, u64 hard */
#define ZOO_OP_UNSHARE 0x010A      /* u64 flags */
#define ZOO_OP_CHROOT 0x010B       /* str path */
#define ZOO_OP_SETGROUPS 0x010C    /* u32 count, u32 gids[count] */
#define ZOO_OP_SETGID 0x010D       /* u32 gid */
#define ZOO_OP_SETUID 0x010E       /* u32 uid */
#define ZOO_OP_CAPS 0x010F         /* u64 bounding, effective, permitted, inheritable, ambient */
#define ZOO_OP_NO_NEW_PRIVS 0x0110 /* empty */
#define ZOO_OP_SECCOMP 0x0111      /* u32 flags, u32 count, struct sock_filter[count] */
#define ZOO_OP_UMASK 0x0112        /* u32 mask */
#define ZOO_OP_WRITE_FILE 0x0113   /* u32 flags, str path, blob content */
#define ZOO_OP_MASK_PATH 0x0114    /* str path */
#define ZOO_OP_WAIT_START 0x0115   /* str fifo path */
#define ZOO_OP_CLOSE_FDS 0x0116    /* u32 first_kept_after_stdio_count (fds 3..3+n-1 kept) */
#define ZOO_OP_READONLY_PATH 0x0117 /* str path */
#define ZOO_OP_TTY 0x0118          /* i32 console socket fd, u32 rows, u32 cols (0, 0: leave the size) */
#define ZOO_OP_SECCOMP_LISTENER 0x0119 /* str socket path, u32 n, str parts[n]: state = parts joined by the host pid */
#define ZOO_OP_PERSONALITY 0x011a  /* u32 persona (PER_LINUX 0, PER_LINUX32 8) */
#define ZOO_OP_TIME_NS 0x011b      /* u64 monotonic secs (two's complement), u32 nanosecs, u64 boottime secs, u32 nanosecs */
#define ZOO_OP_EXEC 0x01FF         /* str path, u32 argc, str argv[argc], u32 envc, str envp[envc] */

/* ZOO_OPT_* bits of ZOO_REC_OPTIONS */
#define ZOO_OPT_FOREGROUND 0x1u   /* shim stays in the caller's session and reports EXIT */
#define ZOO_OPT_WAIT_SETUP 0x2u   /* after CHILD_PID, wait for SETUP_DONE before GO */
#define ZOO_OPT_EXIT_ON_START 0x4u /* exit once STARTED is sent: the process goes to the next subreaper (conmon) */
#define ZOO_OPT_INIT 0x8u /* the child forks at EXEC and stays as the container's PID 1 (reaps, forwards signals) */

/* ZOO_MKDIR_* flags */
#define ZOO_MKDIR_PARENTS 0x1u
#define ZOO_MKDIR_EXIST_OK 0x2u

/* ZOO_WRITE_FILE flags */
#define ZOO_WRITE_CREATE 0x1u

/* Sync messages on the TS<->shim SEQPACKET socket: u32 type, u32 length, payload. */
#define ZOO_MSG_CHILD_PID 1  /* shim->TS: i32 child pid (host view), i32 shim pid */
#define ZOO_MSG_SETUP_DONE 2 /* TS->shim: maps, cgroups and network are ready */
#define ZOO_MSG_STARTED 3    /* shim->TS: execve succeeded; i32 child pid */
#define ZOO_MSG_ERROR 4      /* shim->TS: u32 stage, i32 op index, i32 errno, str object */
#define ZOO_MSG_EXIT 5       /* shim->TS: i32 raw wait status */
#define ZOO_MSG_SIGNAL 6     /* TS->shim: i32 signal to forward to the container */
#define ZOO_MSG_CREATED 7    /* shim->TS: child blocked in WAIT_START; i32 child pid */
#define ZOO_MSG_ABORT 8      /* TS->shim: setup failed on the TS side, kill the child and exit */
#define ZOO_MSG_CLEANUP 9    /* TS->shim: u32 count, strs: dirs to rmdir if TS goes away (replaces any earlier list) */
#define ZOO_MSG_HELPER 10    /* TS->shim: i32 pid of a helper (e.g. pasta) to SIGKILL if TS goes away */

/* Stages named in ZOO_MSG_ERROR. */
#define ZOO_STAGE_PLAN 1  /* reading or validating the plan */
#define ZOO_STAGE_SETNS 2 /* joining a namespace before clone */
#define ZOO_STAGE_CLONE 3 /* clone3/clone */
#define ZOO_STAGE_SYNC 4  /* talking to TS or to the child */
#define ZOO_STAGE_OP 5    /* an op; op index says which */
#define ZOO_STAGE_EXEC 6  /* execve */

#endif
