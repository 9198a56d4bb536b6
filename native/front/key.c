#define _GNU_SOURCE
#include "key.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "zoo_replay.h"

int rr_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > RR_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (const char *p = id; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '+' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Both doors: the user switched the cache off. */
static int switched_off(char *why, size_t n)
{
	const char *mode = getenv("ZOO_RUN_CACHE");

	return mode && strcmp(mode, "off") == 0 ? rr_why(why, n, "ZOO_RUN_CACHE=off") : 0;
}

int rr_precheck(int argc, char **argv, char *why, size_t n)
{
	int has_run = 0;

	if (switched_off(why, n) < 0)
		return -1;
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "run") == 0)
			has_run = 1;
	if (!has_run)
		return rr_why(why, n, "not a run");
	if (!rr_valid_id(argv[argc - 1]))
		return rr_why(why, n, "no valid container ID last");
	return 0;
}

int rr_precheck_engine(int argc, char **argv, char *why, size_t n)
{
	if (switched_off(why, n) < 0)
		return -1;
	/* `zoo run IMAGE ...`: global flags before `run` are not cached (TS
	 * writes no entry for them), so this test needs no parsing. */
	if (argc < 3 || strcmp(argv[1], "run") != 0)
		return rr_why(why, n, "not a run");
	return 0;
}

struct kbuf {
	uint8_t *p;
	size_t len, cap;
	int failed;
};

/* Appends one NUL-terminated field made of a prefix and a value. */
static void field(struct kbuf *k, const char *prefix, const char *value)
{
	size_t a = strlen(prefix), b = value ? strlen(value) : 0, need = a + b + 1;

	if (k->failed)
		return;
	if (k->len + need > k->cap) {
		size_t cap = k->cap ? k->cap : 512;
		uint8_t *np;

		while (cap < k->len + need)
			cap *= 2;
		np = realloc(k->p, cap);
		if (!np) {
			k->failed = 1;
			return;
		}
		k->p = np;
		k->cap = cap;
	}
	memcpy(k->p + k->len, prefix, a);
	if (b)
		memcpy(k->p + k->len + a, value, b);
	k->p[k->len + a + b] = '\0';
	k->len += need;
}

/* env=NAME[=value] for each name of a space-separated list, in its order. */
static void env_fields(struct kbuf *k, const char *names)
{
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, " ");
		char name[64];
		const char *v;

		if (len > 0 && len < 32) {
			(void)snprintf(name, sizeof name, "%.*s", (int)len, p);
			v = getenv(name);
			(void)snprintf(name, sizeof name, "env=%.*s%s", (int)len, p, v ? "=" : "");
			field(k, name, v);
		} else if (len > 0) {
			/* No name of zoo_replay.h is this long: a key that matches nothing. */
			k->failed = 1;
		}
		p += len;
		p += strspn(p, " ");
	}
}

int rr_key(const char *dir, int engine, int argc, char **argv, size_t idlen, uint8_t **out, size_t *len, char *why,
	   size_t n)
{
	struct kbuf k = { 0 };
	struct stat st;
	char path[4096], num[128], *cwd;

	/* Both doors key on the Bun executable that would otherwise have run. */
	if ((size_t)snprintf(path, sizeof path, "%s/" ZOO_REPLAY_BUN_NAME, dir) >= sizeof path)
		return rr_why(why, n, "executable path too long");
	if (stat(path, &st) < 0)
		return rr_why(why, n, "%s: %s", path, strerror(errno));
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return rr_why(why, n, "getcwd: %s", strerror(errno));
	field(&k, ZOO_REPLAY_KEY_TAG, NULL);
	/* An entry of one door can never have the other's name. */
	if (engine)
		field(&k, "door=zoo", NULL);
	(void)snprintf(num, sizeof num, "%" PRIu64 ":%" PRIu64 ":%" PRId64 ":%" PRId64, (uint64_t)st.st_dev,
		       (uint64_t)st.st_ino, (int64_t)st.st_size,
		       (int64_t)st.st_mtim.tv_sec * 1000000000 + (int64_t)st.st_mtim.tv_nsec);
	field(&k, "exe=", num);
	(void)snprintf(num, sizeof num, "%u", (unsigned)geteuid());
	field(&k, "uid=", num);
	if (engine) {
		/* What `zoo run` writes into the container's directory goes through
		 * the umask, and the entry holds the modes that came out. Read by
		 * setting it: we are single-threaded. */
		mode_t mask = umask(0);

		(void)umask(mask);
		(void)snprintf(num, sizeof num, "%04o", (unsigned)mask);
		field(&k, "umask=", num);
	}
	field(&k, "cwd=", cwd);
	free(cwd);
	env_fields(&k, engine ? ZOO_REPLAY_ENGINE_ENV : ZOO_REPLAY_RUNTIME_ENV);
	(void)snprintf(num, sizeof num, "%zu", idlen);
	field(&k, "idlen=", num);
	/* The runtime's ID is its last argument, not part of the key; `zoo run`
	 * has none (we make it), so every argument is. */
	for (int i = 1; i < (engine ? argc : argc - 1); i++)
		field(&k, "arg=", argv[i]);
	if (k.failed) {
		free(k.p);
		return rr_why(why, n, "out of memory");
	}
	*out = k.p;
	*len = k.len;
	return 0;
}

uint64_t rr_fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
