/* This run's values, put into the entry's templates: the plan at its sites,
 * host-op strings at their markers (docs/design/run-cache.md, "Templates"). */
#ifndef RR_FILL_H
#define RR_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entry.h"

struct rr_vars {
	const char *id;
	char id_short[16]; /* its first ZOO_REPLAY_SHORT_ID_LEN characters (all of a shorter one) */
	char token[16];
	char self_pid[16]; /* ours, decimal: known from the start */
	uint32_t self; /* the same, for DBUS sites */
	char self_start[32]; /* our start time (field 22 of /proc/self/stat), the f marker */
	/* Known from CHILD_PID on (`late`). */
	bool late;
	char pid[16], shim_pid[16], pid_start[32], shim_start[32], created[96];
	uint32_t child; /* the container's pid, for NETLINK's CHILD_PID sites */
};

/* ZOO_REPLAY_TOKEN_LEN characters of [A-Za-z0-9_-] from getrandom(2). */
int rr_make_token(char *out, size_t n);

/* A `zoo run` ID: ZOO_REPLAY_ENGINE_ID_LEN lowercase hex digits of getrandom(2). */
int rr_make_engine_id(char *out, size_t n);

/* v->id_short from v->id. */
void rr_vars_id(struct rr_vars *v, const char *id);

/* Our own pid (the F marker, SELF_PID sites) and start time (the f marker); -1 with errno. */
int rr_vars_self(struct rr_vars *v);

/* A copy of a DBUS op's messages or a NETLINK request with its sites filled in (malloc'd), or NULL. */
uint8_t *rr_fill_call_sites(const struct rr_op *op, const struct rr_vars *v);

/* A memfd (O_CLOEXEC) holding the plan template with the sites filled in; -1 on error. */
int rr_plan_fd(const struct rr_entry *e, const struct rr_vars *v);

/* The template with its markers replaced (malloc'd); NULL with errno
 * (EINVAL: a marker whose value is not known yet). */
char *rr_expand(const char *tmpl, const struct rr_vars *v);

/* After CHILD_PID: the pids, their start times, the creation time. */
int rr_vars_child(struct rr_vars *v, pid_t pid, pid_t shim_pid);

/* Field 22 of /proc/<pid>/stat, as text. */
int rr_start_time(pid_t pid, char *out, size_t n);

#endif
