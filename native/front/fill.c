#define _GNU_SOURCE
#include "fill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "zoo_replay.h"

static int start_time_at(const char *path, char *out, size_t n);

/* base64url's alphabet: TS makes its token from 6 random bytes the same way. */
static const char token_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int random_bytes(uint8_t *r, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = getrandom(r + got, n - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

int rr_make_token(char *out, size_t n)
{
	uint8_t r[ZOO_REPLAY_TOKEN_LEN];

	if (n < ZOO_REPLAY_TOKEN_LEN + 1) {
		errno = EINVAL;
		return -1;
	}
	if (random_bytes(r, sizeof r) < 0)
		return -1;
	/* 64 characters: each byte's low 6 bits pick one, without bias. */
	for (size_t i = 0; i < sizeof r; i++)
		out[i] = token_chars[r[i] & 63];
	out[ZOO_REPLAY_TOKEN_LEN] = '\0';
	return 0;
}

int rr_make_engine_id(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[ZOO_REPLAY_ENGINE_ID_LEN / 2];

	if (n < ZOO_REPLAY_ENGINE_ID_LEN + 1) {
		errno = EINVAL;
		return -1;
	}
	if (random_bytes(r, sizeof r) < 0)
		return -1;
	for (size_t i = 0; i < sizeof r; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[ZOO_REPLAY_ENGINE_ID_LEN] = '\0';
	return 0;
}

void rr_vars_id(struct rr_vars *v, const char *id)
{
	size_t n = strlen(id);

	if (n > ZOO_REPLAY_SHORT_ID_LEN)
		n = ZOO_REPLAY_SHORT_ID_LEN;
	v->id = id;
	memcpy(v->id_short, id, n);
	v->id_short[n] = '\0';
}

int rr_vars_self(struct rr_vars *v)
{
	pid_t self = getpid();

	v->self = (uint32_t)self;
	(void)snprintf(v->self_pid, sizeof v->self_pid, "%d", (int)self);
	/* /proc/self, not /proc/<pid>: a /proc of another pid namespace cannot misname us. */
	return start_time_at("/proc/self/stat", v->self_start, sizeof v->self_start);
}

/* This run's value at a site of the plan, a DBUS op's messages or a NETLINK request;
 * validation made each fit and allowed only the kinds its place takes. */
static void put_site(uint8_t *buf, uint32_t off, uint32_t kind, const struct rr_vars *v)
{
	switch (kind) {
	case ZOO_SITE_ID:
		memcpy(buf + off, v->id, strlen(v->id));
		break;
	case ZOO_SITE_ID_SHORT:
		memcpy(buf + off, v->id_short, ZOO_REPLAY_SHORT_ID_LEN);
		break;
	case ZOO_SITE_TOKEN:
		memcpy(buf + off, v->token, ZOO_REPLAY_TOKEN_LEN);
		break;
	case ZOO_SITE_SELF_PID:
		/* Little-endian whatever the message's byte order, as zoo_replay.h says. */
		buf[off] = (uint8_t)v->self;
		buf[off + 1] = (uint8_t)(v->self >> 8);
		buf[off + 2] = (uint8_t)(v->self >> 16);
		buf[off + 3] = (uint8_t)(v->self >> 24);
		break;
	case ZOO_SITE_CHILD_PID:
		/* Host byte order: netlink attributes are the kernel's native u32s (IFLA_NET_NS_PID). */
		memcpy(buf + off, &v->child, sizeof v->child);
		break;
	}
}

uint8_t *rr_fill_call_sites(const struct rr_op *op, const struct rr_vars *v)
{
	uint8_t *m = malloc(op->blob_len ? op->blob_len : 1);

	if (!m)
		return NULL;
	memcpy(m, op->blob, op->blob_len);
	for (size_t i = 0; i + 8 <= op->sites_len; i += 8)
		put_site(m, zoo_get_u32(op->sites + i), zoo_get_u32(op->sites + i + 4), v);
	return m;
}

int rr_plan_fd(const struct rr_entry *e, const struct rr_vars *v)
{
	uint8_t *plan = malloc(e->plan_len ? e->plan_len : 1);
	int fd, err;

	if (!plan)
		return -1;
	memcpy(plan, e->plan, e->plan_len);
	for (size_t i = 0; i < e->nsites; i++)
		put_site(plan, e->sites[i].off, e->sites[i].kind, v);
	fd = memfd_create("zoo-plan", MFD_CLOEXEC);
	if (fd < 0 || zoo_write_all(fd, plan, e->plan_len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		err = errno;
		if (fd >= 0)
			(void)close(fd);
		free(plan);
		errno = err;
		return -1;
	}
	free(plan);
	return fd;
}

static const char *value(const struct rr_vars *v, char mark)
{
	switch (mark) {
	case ZOO_MARK_ID:
		return v->id;
	case ZOO_MARK_ID_SHORT:
		return v->id_short;
	case ZOO_MARK_TOKEN:
		return v->token;
	case ZOO_MARK_SELF_PID:
		return v->self_pid;
	case ZOO_MARK_SELF_START:
		return v->self_start;
	}
	if (!v->late)
		return NULL;
	switch (mark) {
	case ZOO_MARK_PID:
		return v->pid;
	case ZOO_MARK_SHIM_PID:
		return v->shim_pid;
	case ZOO_MARK_PID_START:
		return v->pid_start;
	case ZOO_MARK_SHIM_START:
		return v->shim_start;
	case ZOO_MARK_CREATED:
		return v->created;
	}
	return NULL;
}

char *rr_expand(const char *tmpl, const struct rr_vars *v)
{
	size_t len = 0;
	char *out, *o;

	/* Measure, then write: no reallocation in between. */
	for (const char *p = tmpl; *p; p++) {
		if (*p != ZOO_MARK) {
			len++;
			continue;
		}
		const char *val = value(v, p[1]);
		if (!val) {
			errno = EINVAL;
			return NULL;
		}
		len += strlen(val);
		p++;
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = tmpl; *p; p++) {
		if (*p != ZOO_MARK) {
			*o++ = *p;
			continue;
		}
		const char *val = value(v, p[1]);
		size_t n = strlen(val);

		memcpy(o, val, n);
		o += n;
		p++;
	}
	*o = '\0';
	return out;
}

static int start_time_at(const char *path, char *out, size_t n)
{
	char buf[1024], *p;
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof buf - 1);
	(void)close(fd);
	if (len <= 0) {
		errno = len == 0 ? ESRCH : errno;
		return -1;
	}
	buf[len] = '\0';
	/* comm (field 2) may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++) {
		p = strchr(p + 1, ' ');
	}
	if (!p) {
		errno = EPROTO;
		return -1;
	}
	p++;
	size_t k = strcspn(p, " \n");
	if (k == 0 || k >= n) {
		errno = EPROTO;
		return -1;
	}
	memcpy(out, p, k);
	out[k] = '\0';
	return 0;
}

int rr_start_time(pid_t pid, char *out, size_t n)
{
	char path[64];

	(void)snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	return start_time_at(path, out, n);
}

int rr_vars_child(struct rr_vars *v, pid_t pid, pid_t shim_pid)
{
	struct timespec now;
	struct tm tm;

	v->child = (uint32_t)pid;
	(void)snprintf(v->pid, sizeof v->pid, "%d", (int)pid);
	(void)snprintf(v->shim_pid, sizeof v->shim_pid, "%d", (int)shim_pid);
	if (rr_start_time(pid, v->pid_start, sizeof v->pid_start) < 0 ||
	    rr_start_time(shim_pid, v->shim_start, sizeof v->shim_start) < 0)
		return -1;
	/* JavaScript's toISOString: UTC, milliseconds, "Z". */
	if (clock_gettime(CLOCK_REALTIME, &now) < 0 || !gmtime_r(&now.tv_sec, &tm))
		return -1;
	(void)snprintf(v->created, sizeof v->created, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	v->late = true;
	return 0;
}
