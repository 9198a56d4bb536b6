/* Runs build/zoo-shim the way TS does: a memfd plan, a SEQPACKET socketpair,
 * and the test playing the TS side of the protocol. */
#ifndef ZOO_TEST_HARNESS_H
#define ZOO_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "planenc.h"
#include "tap.h"

#define PLAN_FD 50
#define SYNC_FD 51
#define EXTRA_FD 52 /* an extra inherited fd for a test (the cgroup fd) */

struct msg {
	uint32_t type, len;
	uint8_t payload[8192];
};

struct shim {
	pid_t pid;
	int sock; /* TS end */
	int out; /* memfd: the container's (and shim's) stdout */
	bool reaped;
	int status;
	char output[65536];
};

extern const char *shim_path;
extern char **shim_wrapper; /* e.g. valgrind and its options, or NULL */
extern char **shim_extra_args; /* appended to the shim's options (monitor options), or NULL */

int shim_spawn(struct shim *s, const struct penc *plan, int extra_fd);
int shim_spawn_raw(struct shim *s, const void *plan, size_t len, int extra_fd);
/* The plan fd as given (a pipe, say); the harness closes it. */
int shim_spawn_fd(struct shim *s, int plan_fd, int extra_fd);
/* argv for exec: the wrapper words, the shim, the fd options. */
void shim_argv(char **argv);
/* 1: a message; 0: EOF; -1: timeout or error. */
int shim_recv(struct shim *s, struct msg *m, int timeout_ms);
int shim_send(struct shim *s, uint32_t type, const void *payload, uint32_t len);
int shim_send_i32(struct shim *s, uint32_t type, int32_t v);
/* Waits for the shim to exit; returns its wait status, -1 on timeout (then kills it). */
int shim_wait(struct shim *s, int timeout_ms);
/* The output so far, NUL-terminated, in s->output. */
const char *shim_output(struct shim *s);
void shim_cleanup(struct shim *s);

int32_t msg_i32(const struct msg *m, size_t off);
/* ERROR fields. */
struct err {
	uint32_t stage;
	int32_t index, err;
	const char *object; /* points into the msg, or NULL */
};
int msg_error(const struct msg *m, struct err *e);

int write_file(const char *path, const char *text);

#endif
