/* `zoo run --init`: the container's first process stays as its PID 1, like
 * tini or catatonit: it forks the command, reaps every zombie, passes signals
 * on to the command, and exits with the command's status (128+N after a
 * signal N, as a PID 1 cannot usefully die by most signals). */
#ifndef ZOO_INIT_H
#define ZOO_INIT_H

/* Returns 0 in the new process, which goes on to exec; -1 on failure. The
 * caller, PID 1, never returns: sock is the child's socket to the shim,
 * closed here so that the command's execve alone decides STARTED. */
int zoo_init_fork(int sock);

#endif
