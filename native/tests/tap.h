/* What the shim's and the front door's end-to-end tests share: CHECK, the
 * TAP runner, the wrapper command (valgrind ...) and the time scale. */
#ifndef ZOO_TEST_TAP_H
#define ZOO_TEST_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SKIP 1 /* a test's return: 0 passed, SKIP, anything else failed */

/* In a test returning rc: says what failed where, then `goto out`. */
#define CHECK(cond, ...)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "#   %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			goto out;                                                              \
		}                                                                              \
	} while (0)

struct test {
	const char *name;
	int (*fn)(void);
};

extern int time_scale; /* timeouts are multiplied by this (valgrind) */

/* stdout line-buffered, umask 022, time_scale from ZOO_TEST_TIME_SCALE. */
void tap_setup(void);

/* A wrapper command from the environment, split at spaces. */
struct wrapper {
	char *copy;
	char *words[24]; /* NULL-terminated */
	bool valgrind; /* the first word names valgrind */
};

/* The words of getenv(name), or NULL if it is unset or empty. */
char **wrapper_from_env(struct wrapper *w, const char *name);
void wrapper_free(struct wrapper *w);

/* Runs the tests whose name contains filter (all of them if NULL), one TAP
 * line each and a closing count; returns how many failed. */
int tap_run(const struct test *tests, size_t n, const char *filter);

#endif
