/* The host ops of an entry (zoo_replay.h), run phase by phase, with a log of
 * what this run made so that a fallback can take it away again. */
#ifndef RR_HOSTOPS_H
#define RR_HOSTOPS_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "entry.h"
#include "fill.h"

enum {
	RR_MADE_FILE,       /* a file or fifo: unlinked */
	RR_MADE_SHARED_DIR, /* MKDIR EXIST_OK that made it: rmdir, if nothing else is in it by now */
	RR_MADE_OWN_DIR,    /* MKDIR of a directory that had to be new: removed with all in it */
	RR_MADE_LEASE,      /* LEASE: under its lock, file and dir go if the file is still as written */
};

struct rr_made {
	int kind; /* RR_MADE_* */
	char *path; /* RR_MADE_LEASE: the lease directory */
	char *lock, *file, *content; /* RR_MADE_LEASE only */
	char **argv; /* RR_MADE_LEASE: the helper that gives back a lease changed meanwhile */
};

struct rr_slot {
	int fd;
	uint32_t slot;
};

struct rr_host {
	struct rr_made *made;
	size_t nmade;
	int *locks;
	size_t nlocks;
	struct rr_slot *slots; /* OPENs: the shim gets each as fd `slot` */
	size_t nslots;
	pid_t container; /* START gives up once it is gone */
	char container_start[32];
	sigset_t orig_mask; /* the mask we started with: RELEASE's helper gets it */
};

/* `mask`: the signal mask we were started with. */
int rr_host_init(struct rr_host *h, const struct rr_entry *e, const sigset_t *mask);

/* Runs the ops of one phase in record order. Before STARTED the first
 * failure stops it (-1, *why). `teardown`: every op runs, and each failure
 * is reported as `zoo-runtime: delete <id>: <what>: <error>`; -1 if any failed. */
int rr_run_phase(struct rr_host *h, const struct rr_entry *e, uint32_t phase, const struct rr_vars *v, int teardown,
		 char *why, size_t n);

/* Removes what this run made, newest first (fallback). */
void rr_undo(struct rr_host *h);

/* Closes every fd (locks, slots) and frees the logs. */
void rr_host_release(struct rr_host *h);

#endif
