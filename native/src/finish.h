/* What a detached container's monitor does once the container has exited:
 * record the wait status and the time in the exit file, then become the
 * exit command (zoo's cleanup: network, cgroups, restart policy), so this
 * happens even when no zoo command is running. */
#ifndef ZOO_FINISH_H
#define ZOO_FINISH_H

#include <signal.h>

struct zoo_finish {
	const char *exit_file; /* NULL: none */
	char **exit_cmd; /* NULL-terminated argv, or NULL */
};

/* Writes "<wait status> <unix seconds>.<ns>\n" to a temporary name and renames it. */
int zoo_write_exit_file(const char *path, int status);
/* execv's the exit command with the caller's signal state restored; returns only on failure. */
void zoo_exec_exit_command(char **argv, const sigset_t *orig_mask);

#endif
