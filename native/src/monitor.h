#ifndef ZOO_MONITOR_H
#define ZOO_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The signals the shim passes on to the container (plus SIGCHLD, its own). */
#define ZOO_FORWARDED_SIGNALS SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH

#include "attach.h"
#include "finish.h"
#include "health.h"
#include "logfile.h"
#include "orphan.h"

struct zoo_shim {
	int ts; /* sync socket to TS */
	bool ts_open; /* false once TS hung up */
	int child_sock; /* -1 once the child's end closed (execve or death) */
	int sigfd;
	pid_t child;
	pid_t pgrp; /* the shim's process group */
	uint32_t options;
	bool execing; /* the child said execve is next */
	bool child_done;
	int child_status;
	bool orphaned; /* TS hung up during a foreground run */
	struct zoo_orphan orphan;
	/* A detached container's monitor: its log, and what to do after the exit. */
	struct zoo_logfile log;
	struct zoo_attach attach;
	struct zoo_health health;
	struct zoo_finish finish;
	sigset_t orig_mask;
};

/* From CHILD_PID to the end: returns the shim's exit code. */
int zoo_monitor(struct zoo_shim *s);

#endif
