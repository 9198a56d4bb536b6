/*
 * zoo run cache: the numeric IDs of a cache entry, shared by the C front
 * door (native/front/) and the TypeScript side that writes entries
 * (src/runtime/oci/run-cache/). src/plan/replay-ids.ts mirrors this file
 * and a unit test fails if the two drift apart.
 * Layout and semantics: docs/design/run-cache.md.
 */
#ifndef ZOO_REPLAY_H
#define ZOO_REPLAY_H

#define ZOO_REPLAY_MAGIC 0x524F4F5Au /* bytes "ZOOR" little-endian */
#define ZOO_REPLAY_VERSION 1u
#define ZOO_REPLAY_HEADER_SIZE 16u
#define ZOO_REPLAY_MAX_SIZE (4u * 1024u * 1024u)
#define ZOO_REPLAY_KEY_TAG "zoo-run-cache/1"
#define ZOO_REPLAY_TOKEN_LEN 8u
#define ZOO_REPLAY_ENGINE_ID_LEN 64u /* the ID a `zoo run` makes: 32 random bytes as lowercase hex */
#define ZOO_REPLAY_SHORT_ID_LEN 12u  /* its first 12 characters: hostname, cgroup name */

/* The Bun executable, beside the front door, which execs it for all but a replay. */
#define ZOO_REPLAY_BUN_NAME "zoo-bun"

/* The environment TypeScript consults on the way to a plan, in key order
 * (space-separated): zoo-runtime's, and zoo run's. */
#define ZOO_REPLAY_RUNTIME_ENV "ZOO_SHIM ZOO_CGROUP_PARENT XDG_RUNTIME_DIR ZOO_SECCOMP_CACHE ZOO_DEBUG NOTIFY_SOCKET LISTEN_FDS"
#define ZOO_REPLAY_ENGINE_ENV "ZOO_SHIM ZOO_CGROUP_PARENT XDG_RUNTIME_DIR ZOO_SECCOMP_CACHE ZOO_DEBUG NOTIFY_SOCKET LISTEN_FDS ZOO_ROOT ZOO_CGROUP_MANAGER ZOO_NET_HELPER HOME PATH DBUS_SYSTEM_BUS_ADDRESS"

/* What the entry is for, and what must still hold for it to apply. */
#define ZOO_RR_KEY 0x0001        /* blob: the key, compared byte for byte with the one computed now */
#define ZOO_RR_GUARD_FILE 0x0002 /* str path, blob content: the file must hold exactly this */
#define ZOO_RR_GUARD_STAT 0x0003 /* u32 kind (ZOO_GUARD_*), str path: stat(2), following symlinks */
#define ZOO_RR_FLAGS 0x0004      /* u32 ZOO_RF_* bits: how the run differs from a zoo-runtime run; absent: 0 */

/* The shim to start and its plan. */
#define ZOO_RR_SHIM 0x0010      /* str: the zoo-shim executable TS would have started */
#define ZOO_RR_PLAN 0x0011      /* blob: the plan template (docs/design/plan-format.md) */
#define ZOO_RR_PLAN_SITE 0x0012 /* u32 offset, u32 kind (ZOO_SITE_*): bytes of the plan replaced by this run's value */
#define ZOO_RR_CLEANUP 0x0013   /* str: one entry of the CLEANUP / SETUP_DONE list, in list order */

/* Host ops: u32 phase (ZOO_PHASE_*) first, then the fields below; run in record order within a phase. */
#define ZOO_RR_MKDIR 0x0020   /* u32 phase, u32 mode, u32 flags (ZOO_RMKDIR_*), str path */
#define ZOO_RR_LOCK 0x0021    /* u32 phase, str path: open the directory, flock(LOCK_EX), hold it until UNLOCK or exit */
#define ZOO_RR_MKFIFO 0x0022  /* u32 phase, u32 mode, str path: mknod S_IFIFO, then chmod(mode) */
#define ZOO_RR_OPEN 0x0023    /* u32 phase, u32 open flags, u32 slot, str path: the shim gets it as fd `slot` */
#define ZOO_RR_WRITE 0x0024   /* u32 phase, str path, str content: open O_WRONLY (no create), one write(2) */
#define ZOO_RR_REPLACE 0x0025 /* u32 phase, u32 mode, str path, str content: write path.tmp, rename over path */
#define ZOO_RR_DEVICE_BPF 0x0026 /* u32 phase, str cgroup dir, blob insns: BPF_PROG_LOAD + attach (ALLOW_MULTI) */
#define ZOO_RR_RMDIR 0x0027   /* u32 phase, u32 flags (ZOO_RRMDIR_*), str path */
#define ZOO_RR_RMTREE 0x0028  /* u32 phase, str dir: unlink the dir's entries (one level), then rmdir */
#define ZOO_RR_START 0x0029   /* u32 phase, str fifo: what `start` does: open for reading, wait for the writer's hangup, unlink */
#define ZOO_RR_UNLOCK 0x002A  /* u32 phase, str path: release the lock LOCK took on that directory */
#define ZOO_RR_RMTREE_ALL 0x002B /* u32 phase, str dir: the whole tree, depth first; symlinks removed, not followed; a mount point inside fails it */
#define ZOO_RR_OOM_NOTE 0x002C   /* u32 phase, str file, str message: if a line of file is "oom_kill N" with N > 0, message to stderr */
#define ZOO_RR_NETLINK 0x002D    /* u32 phase, u32 where (ZOO_NL_*), u32 protocol (NETLINK_ROUTE or NETLINK_NETFILTER), u32 ok errno (0: none), u32 expect offset (0: none), u32 expect value, blob request, blob sites (u32 offset, kind pairs into the request): one netlink request; its ACK must say 0 or the ok errno, its answer hold the expected u32 */
#define ZOO_RR_DBUS 0x002E       /* u32 phase (PREPARE), str socket path, blob messages, blob sites: D-Bus method calls on one connection (EXTERNAL auth as our euid), each answered before the next; sites are u32 (offset, kind) pairs into messages */
#define ZOO_RR_AWAIT_CGROUP 0x002F /* u32 phase, u32 timeout ms, str suffix: until /proc/self/cgroup's "0::" line ends with "/" suffix (systemd moved us) */
#define ZOO_RR_LEASE 0x0030      /* u32 phase (CHILD), str lock, str dir, str file, str content, blob helper args: holding flock(lock), mkdir(dir) must make it (EEXIST: the network has other containers), then dir/file gets content; undone by the helper if changed meanwhile */
#define ZOO_RR_RELEASE 0x0031    /* u32 phase (TEARDOWN), str lock, str dir, str file, str content, blob helper args: holding the lock, dir/file and dir go if the file still holds content; else the Bun executable runs with the args */

/* ZOO_RR_FLAGS */
#define ZOO_RF_ENGINE_ID 1u  /* `zoo run`: the front door makes the ID (ZOO_REPLAY_ENGINE_ID_LEN hex digits from getrandom); no ID argument */
#define ZOO_RF_NO_CREATED 2u /* the plan has no WAIT_START: STARTED follows SETUP_DONE with no CREATED; no CREATED-phase op is allowed (the command runs from SETUP_DONE on) */
#define ZOO_RF_RAISE 4u      /* a container killed by signal N kills us with N (core dumps off), instead of exit 128+N */
#define ZOO_RF_FOREGROUND 8u /* a FOREGROUND shim, in our process group: SIGINT, SIGQUIT, SIGWINCH are not forwarded while fd 0 is a terminal (it sends them to the container itself) */

#define ZOO_GUARD_ABSENT 0u  /* stat fails with ENOENT */
#define ZOO_GUARD_DIR 1u     /* a directory */
#define ZOO_GUARD_NOT_DIR 2u /* exists, not a directory */

#define ZOO_SITE_ID 1u    /* the container ID (the key fixes its length) */
#define ZOO_SITE_TOKEN 2u /* the run token: ZOO_REPLAY_TOKEN_LEN characters of [A-Za-z0-9_-] */
#define ZOO_SITE_ID_SHORT 3u /* the ID's first ZOO_REPLAY_SHORT_ID_LEN characters (the ID must be at least that long) */
#define ZOO_SITE_SELF_PID 4u /* DBUS sites only: the front door's own pid, u32 little-endian */
#define ZOO_SITE_CHILD_PID 5u /* NETLINK sites only, CHILD phase or later: the container's first process, u32 in host byte order */

/* ZOO_RR_NETLINK: which network namespace the request is sent in. */
#define ZOO_NL_CONTAINER 0u /* the container's (CHILD phase only) */
#define ZOO_NL_HOST 1u      /* ours */

#define ZOO_PHASE_PREPARE 0u  /* before the shim is started */
#define ZOO_PHASE_SPAWNED 1u  /* the shim runs and holds the CLEANUP list; before CHILD_PID (a root mount point; TS writes none since the rootfs is bound onto itself) */
#define ZOO_PHASE_CHILD 2u    /* after CHILD_PID, before SETUP_DONE */
#define ZOO_PHASE_CREATED 3u  /* after SETUP_DONE: device rules, state, pid file, start */
#define ZOO_PHASE_TEARDOWN 4u /* after EXIT */

#define ZOO_RMKDIR_EXIST_OK 1u /* EEXIST is success (and the directory is not ours to remove on fallback) */
#define ZOO_RMKDIR_KEEP 2u     /* not removed on fallback: it is someone else's to remove (systemd's, with the scope it is in) */

#define ZOO_RRMDIR_RETRY_BUSY 1u /* EBUSY: retry for up to a second (a dead PID namespace's tasks are still being released) */
#define ZOO_RRMDIR_ENOENT_OK 2u  /* ENOENT is success */

/* Markers inside template strings (str content of host ops): byte 0x01, then one of these. */
#define ZOO_MARK 0x01
#define ZOO_MARK_ID 'I'          /* the container ID */
#define ZOO_MARK_ID_SHORT 'i'    /* its first ZOO_REPLAY_SHORT_ID_LEN characters */
#define ZOO_MARK_TOKEN 'T'       /* the run token */
#define ZOO_MARK_PID 'P'         /* the container's first process, host pid, decimal (from CHILD_PID) */
#define ZOO_MARK_SHIM_PID 'S'    /* the shim's pid, decimal */
#define ZOO_MARK_PID_START 'p'   /* field 22 (starttime) of /proc/<pid>/stat */
#define ZOO_MARK_SHIM_START 's'  /* the same for the shim */
#define ZOO_MARK_SELF_PID 'F'    /* the front door's own pid, decimal */
#define ZOO_MARK_SELF_START 'f'  /* field 22 (starttime) of /proc/self/stat */
#define ZOO_MARK_CREATED 'C'     /* the creation time, UTC, as JavaScript's toISOString: 2026-11-30T08:31:46.874Z */

#endif
