#define _GNU_SOURCE
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int time_scale = 1;

void tap_setup(void)
{
	const char *env = getenv("ZOO_TEST_TIME_SCALE");

	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	if (env)
		time_scale = atoi(env) > 0 ? atoi(env) : 1;
}

char **wrapper_from_env(struct wrapper *w, const char *name)
{
	const char *env = getenv(name);
	size_t n = 0, max = sizeof w->words / sizeof w->words[0] - 1;

	memset(w, 0, sizeof *w);
	if (!env || !*env || !(w->copy = strdup(env)))
		return NULL;
	for (char *tok = strtok(w->copy, " "); tok && n < max; tok = strtok(NULL, " "))
		w->words[n++] = tok;
	if (n == 0)
		return NULL;
	w->valgrind = strstr(w->words[0], "valgrind") != NULL;
	return w->words;
}

void wrapper_free(struct wrapper *w)
{
	free(w->copy);
	w->copy = NULL;
}

int tap_run(const struct test *tests, size_t n, const char *filter)
{
	int passed = 0, failed = 0, skipped = 0, num = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		int r;

		if (filter && !strstr(tests[i].name, filter))
			continue;
		r = tests[i].fn();
		num++;
		if (r == SKIP) {
			printf("ok %d - %s # SKIP\n", num, tests[i].name);
			skipped++;
		} else if (r == 0) {
			printf("ok %d - %s\n", num, tests[i].name);
			passed++;
		} else {
			printf("not ok %d - %s\n", num, tests[i].name);
			failed++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %d passed, %d failed, %d skipped in %.1f s\n", passed, failed, skipped,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return failed;
}
