/* Entry reading, trust checks, validation and guards. The framing is the
 * plan's (plan-format.md) with magic "ZOOR"; anything unexpected (an unknown
 * record, a flag bit, a marker) makes the whole entry invalid: a miss, and
 * the Bun path does the run. */
#define _GNU_SOURCE
#include "entry.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "dbus.h"
#include "zoo_replay.h"

#define SLOT_FIRST 5 /* 0-2 stdio, 3 the plan, 4 the sync socket */
#define SLOT_MAX 256 /* the spawn moves fds above the highest slot first: keep that below any fd limit */
#define BPF_MAX_INSNS 4096

int rr_entry_read(const char *dir, const char *name, struct rr_entry *e, char *why, size_t n)
{
	struct stat st;
	int dfd, fd, rc = -1;
	uid_t euid = geteuid();

	memset(e, 0, sizeof *e);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rr_why(why, n, errno == ENOENT ? "no entry" : "%s: %s", dir, strerror(errno));
	if (fstat(dfd, &st) < 0) {
		rr_why(why, n, "%s: %s", dir, strerror(errno));
		goto out_dir;
	}
	/* Whoever may write the directory may put any entry there. */
	if (st.st_uid != euid || (st.st_mode & 022)) {
		rr_why(why, n, "%s: not trusted (owner %u, mode %04o)", dir, (unsigned)st.st_uid,
		       (unsigned)(st.st_mode & 07777));
		goto out_dir;
	}
	/* O_NONBLOCK: a fifo planted there must not hang us before fstat says what it is. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rr_why(why, n, errno == ENOENT ? "no entry" : "%s/%s: %s", dir, name, strerror(errno));
		goto out_dir;
	}
	if (fstat(fd, &st) < 0) {
		rr_why(why, n, "%s/%s: %s", dir, name, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_uid != euid || (st.st_mode & 07777) != 0600) {
		rr_why(why, n, "%s/%s: not trusted (owner %u, mode %06o)", dir, name, (unsigned)st.st_uid,
		       (unsigned)st.st_mode);
	} else if (st.st_size > (off_t)ZOO_REPLAY_MAX_SIZE) {
		rr_why(why, n, "%s/%s: %lld bytes is over the limit", dir, name, (long long)st.st_size);
	} else if (zoo_read_all(fd, ZOO_REPLAY_MAX_SIZE, &e->buf, &e->len) < 0) {
		rr_why(why, n, "%s/%s: %s", dir, name, strerror(errno));
	} else {
		rc = 0;
	}
	(void)close(fd);
out_dir:
	(void)close(dfd);
	return rc;
}

struct cur {
	const uint8_t *p;
	size_t left;
	const char *err; /* what failed, for the reason */
};

static int take(struct cur *c, size_t n, const uint8_t **out, const char *what)
{
	if (c->left < n) {
		c->err = what;
		return -1;
	}
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

static int get_u32(struct cur *c, uint32_t *v, const char *what)
{
	const uint8_t *p;

	if (take(c, 4, &p, what) < 0)
		return -1;
	*v = zoo_get_u32(p);
	return 0;
}

/* Every str of an entry is required: n > 0, one NUL, the last byte. */
static int get_str(struct cur *c, const char **s, const char *what)
{
	uint32_t n;
	const uint8_t *p;

	if (get_u32(c, &n, what) < 0 || n == 0 || take(c, n, &p, what) < 0) {
		c->err = what;
		return -1;
	}
	if (p[n - 1] != '\0' || memchr(p, '\0', n - 1)) {
		c->err = what;
		return -1;
	}
	*s = (const char *)p;
	return 0;
}

static int get_blob(struct cur *c, const uint8_t **p, uint32_t *n, const char *what)
{
	if (get_u32(c, n, what) < 0)
		return -1;
	return take(c, *n, p, what);
}

/* Markers: 0x01 and one of the letters of zoo_replay.h. `late`: the values
 * known only from CHILD_PID on may appear (see run-cache.md, "Templates"). */
static int check_template(const char *s, int late, const char **bad)
{
	for (const char *p = s; (p = strchr(p, ZOO_MARK)); p += 2) {
		switch (p[1]) {
		case ZOO_MARK_ID:
		case ZOO_MARK_ID_SHORT:
		case ZOO_MARK_TOKEN:
		case ZOO_MARK_SELF_PID:
		case ZOO_MARK_SELF_START:
			break;
		case ZOO_MARK_PID:
		case ZOO_MARK_SHIM_PID:
		case ZOO_MARK_PID_START:
		case ZOO_MARK_SHIM_START:
		case ZOO_MARK_CREATED:
			if (!late) {
				*bad = "a marker of a value not known yet";
				return -1;
			}
			break;
		default:
			*bad = "an unknown marker";
			return -1;
		}
	}
	return 0;
}

static int no_marker(const char *s, const char **bad)
{
	if (strchr(s, ZOO_MARK)) {
		*bad = "a marker where none may be";
		return -1;
	}
	return 0;
}

static int is_op(uint16_t t)
{
	return t >= ZOO_RR_MKDIR && t <= ZOO_RR_RELEASE;
}

/* How many bytes a site of this kind covers; each kind is allowed only where it goes. */
static size_t site_len(uint32_t kind, size_t idlen)
{
	switch (kind) {
	case ZOO_SITE_ID:
		return idlen;
	case ZOO_SITE_ID_SHORT:
		return ZOO_REPLAY_SHORT_ID_LEN;
	case ZOO_SITE_SELF_PID:
	case ZOO_SITE_CHILD_PID:
		return 4;
	}
	return ZOO_REPLAY_TOKEN_LEN;
}

/* The plan's sites are parsed into an array, a DBUS op's stay (offset, kind) pairs in the entry. */
typedef struct rr_site (*site_at)(const void *sites, size_t i);

static struct rr_site plan_site_at(const void *sites, size_t i)
{
	return ((const struct rr_site *)sites)[i];
}

static struct rr_site call_site_at(const void *sites, size_t i)
{
	const uint8_t *p = (const uint8_t *)sites + 8 * i;

	return (struct rr_site){ zoo_get_u32(p), zoo_get_u32(p + 4) };
}

/* 0: each of the n sites lies inside `len` bytes and over no other. -1:
 * site *i runs past the end (*j == *i) or lies over site *j. */
static int sites_fit(const void *sites, site_at at, size_t n, size_t len, size_t idlen, size_t *i, size_t *j)
{
	for (*i = 0; *i < n; (*i)++) {
		struct rr_site s = at(sites, *i);
		size_t sl = site_len(s.kind, idlen);

		*j = *i;
		if ((uint64_t)s.off + sl > len)
			return -1;
		for (*j = 0; *j < *i; (*j)++) {
			struct rr_site t = at(sites, *j);

			if (s.off < t.off + site_len(t.kind, idlen) && t.off < s.off + sl)
				return -1;
		}
	}
	return 0;
}

/* What an op's (offset, kind) pairs may hold, and how its faults are named. */
struct site_rules {
	uint32_t kinds; /* bit k: ZOO_SITE_k allowed */
	uint32_t first; /* no site before this offset */
	const char *not_pairs, *unknown, *past, *overlap;
};

static const struct site_rules dbus_sites = {
	(1u << ZOO_SITE_ID) | (1u << ZOO_SITE_ID_SHORT) | (1u << ZOO_SITE_SELF_PID), 0,
	"D-Bus sites that are not (offset, kind) pairs", "unknown D-Bus site kind", "a D-Bus site past the messages",
	"D-Bus sites that overlap",
};

/* The header is ours to check and to stamp (seq, port): nothing per-run lives there. */
static const struct site_rules netlink_sites = {
	(1u << ZOO_SITE_ID) | (1u << ZOO_SITE_ID_SHORT) | (1u << ZOO_SITE_CHILD_PID), 16,
	"netlink sites that are not (offset, kind) pairs", "unknown netlink site kind",
	"a netlink site past the message or in its header", "netlink sites that overlap",
};

/* DBUS and NETLINK sites: (offset, kind) pairs, each inside the blob, none over another. */
static int check_call_sites(const struct rr_op *op, const struct site_rules *r, size_t idlen, const char **bad)
{
	size_t n = op->sites_len / 8, i, j;

	if (op->sites_len % 8) {
		*bad = r->not_pairs;
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct rr_site s = call_site_at(op->sites, i);

		if (s.kind >= 32 || !(r->kinds & (1u << s.kind))) {
			*bad = r->unknown;
			return -1;
		}
		if (s.kind == ZOO_SITE_ID_SHORT && idlen < ZOO_REPLAY_SHORT_ID_LEN) {
			*bad = "a short-ID site for an ID shorter than that";
			return -1;
		}
		/* The container's pid is known from CHILD_PID on. */
		if (s.kind == ZOO_SITE_CHILD_PID && op->phase < ZOO_PHASE_CHILD) {
			*bad = "a container-pid site before the container exists";
			return -1;
		}
		if (s.off < r->first) {
			*bad = r->past;
			return -1;
		}
		/* The pid is filled little-endian: the message must be so too. */
		if (s.kind == ZOO_SITE_SELF_PID && s.off < op->blob_len && !rr_dbus_little_endian_at(op->blob, op->blob_len, s.off)) {
			*bad = "a pid site in a big-endian D-Bus message";
			return -1;
		}
	}
	if (sites_fit(op->sites, call_site_at, n, op->blob_len, idlen, &i, &j) < 0) {
		*bad = i == j ? r->past : r->overlap;
		return -1;
	}
	return 0;
}

/* RELEASE's helper arguments: NUL-terminated, non-empty templates back to back, at least one. */
static int check_args(const struct rr_op *op, int late, const char **bad)
{
	const char *p = (const char *)op->blob, *end = p + op->blob_len;

	if (op->blob_len == 0 || p[op->blob_len - 1] != '\0') {
		*bad = "helper arguments that are not NUL-terminated strings";
		return -1;
	}
	for (; p < end; p += strlen(p) + 1) {
		if (*p == '\0') {
			*bad = "an empty helper argument";
			return -1;
		}
		if (check_template(p, late, bad) < 0)
			return -1;
	}
	return 0;
}

/* A lease file's name: one entry of its directory, not a path. */
static int check_file_name(const char *s, const char **bad)
{
	if (strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		*bad = "a lease file name that is not a name";
		return -1;
	}
	return 0;
}

static int parse_op(struct cur *c, struct rr_op *op, size_t idlen, const char **bad)
{
	int ok;

	if (get_u32(c, &op->phase, "phase") < 0)
		return -1;
	if (op->phase > ZOO_PHASE_TEARDOWN) {
		*bad = "unknown phase";
		return -1;
	}
	switch (op->type) {
	case ZOO_RR_MKDIR:
		ok = get_u32(c, &op->mode, "mode") == 0 && get_u32(c, &op->flags, "flags") == 0 &&
		     get_str(c, &op->path, "path") == 0;
		if (ok && (op->flags & ~(ZOO_RMKDIR_EXIST_OK | ZOO_RMKDIR_KEEP))) {
			*bad = "unknown mkdir flags";
			return -1;
		}
		break;
	case ZOO_RR_LOCK:
	case ZOO_RR_UNLOCK:
	case ZOO_RR_RMTREE:
	case ZOO_RR_RMTREE_ALL:
	case ZOO_RR_START:
		ok = get_str(c, &op->path, "path") == 0;
		break;
	case ZOO_RR_OOM_NOTE:
		ok = get_str(c, &op->path, "file") == 0 && get_str(c, &op->content, "message") == 0;
		break;
	case ZOO_RR_NETLINK:
		ok = get_u32(c, &op->where, "where") == 0 && get_u32(c, &op->protocol, "protocol") == 0 &&
		     get_u32(c, &op->ok_errno, "ok errno") == 0 && get_u32(c, &op->expect_off, "expect offset") == 0 &&
		     get_u32(c, &op->expect_val, "expect value") == 0 && get_blob(c, &op->blob, &op->blob_len, "message") == 0 &&
		     get_blob(c, &op->sites, &op->sites_len, "sites") == 0;
		if (!ok)
			break;
		if (op->where > ZOO_NL_HOST) {
			*bad = "an unknown netlink namespace";
			return -1;
		}
		if (op->protocol != NETLINK_ROUTE && op->protocol != NETLINK_NETFILTER) {
			*bad = "a netlink protocol other than route and netfilter";
			return -1;
		}
		/* An errno the kernel could say: 1..4095 (0: none). */
		if (op->ok_errno > 4095) {
			*bad = "an ok errno that is not one";
			return -1;
		}
		/* Past the answer's header, inside the largest answer we read. */
		if (op->expect_off && (op->expect_off < 16 || op->expect_off > (1u << 20) - 4)) {
			*bad = "an expected answer offset that is not one";
			return -1;
		}
		/* No path: it names the namespace in messages. */
		op->path = op->where == ZOO_NL_HOST ? "the host network namespace" : "the container's network namespace";
		if (op->blob_len < 16 || op->blob_len > 65536) {
			*bad = "a netlink message of a bad size";
			return -1;
		}
		if (check_call_sites(op, &netlink_sites, idlen, bad) < 0)
			return -1;
		break;
	case ZOO_RR_LEASE:
	case ZOO_RR_RELEASE:
		ok = get_str(c, &op->lock, "lock") == 0 && get_str(c, &op->path, "dir") == 0 &&
		     get_str(c, &op->file, "file") == 0 && get_str(c, &op->content, "content") == 0 &&
		     get_blob(c, &op->blob, &op->blob_len, "args") == 0;
		if (!ok)
			break;
		if (!op->lock[0] || !op->path[0] || !op->file[0] || !op->content[0]) {
			*bad = "an empty lease string";
			return -1;
		}
		if (check_file_name(op->file, bad) < 0)
			return -1;
		break;
	case ZOO_RR_DBUS:
		ok = get_str(c, &op->path, "socket path") == 0 && get_blob(c, &op->blob, &op->blob_len, "messages") == 0 &&
		     get_blob(c, &op->sites, &op->sites_len, "sites") == 0;
		/* A leading NUL would name an abstract socket: never a system bus's. */
		if (ok && op->path[0] == '\0') {
			*bad = "an empty socket path";
			return -1;
		}
		if (ok && (rr_dbus_check_calls(op->blob, op->blob_len, bad) < 0 ||
			   check_call_sites(op, &dbus_sites, idlen, bad) < 0))
			return -1;
		break;
	case ZOO_RR_AWAIT_CGROUP:
		ok = get_u32(c, &op->timeout_ms, "timeout") == 0 && get_str(c, &op->path, "suffix") == 0;
		if (ok && op->path[0] == '\0') {
			*bad = "an empty cgroup suffix";
			return -1;
		}
		break;
	case ZOO_RR_MKFIFO:
		ok = get_u32(c, &op->mode, "mode") == 0 && get_str(c, &op->path, "path") == 0;
		break;
	case ZOO_RR_OPEN:
		ok = get_u32(c, &op->flags, "flags") == 0 && get_u32(c, &op->slot, "slot") == 0 &&
		     get_str(c, &op->path, "path") == 0;
		/* Only an fd for the shim: nothing made, nothing truncated. */
		if (ok && ((op->flags & (O_CREAT | O_TRUNC)) || (op->flags & O_TMPFILE) == O_TMPFILE)) {
			*bad = "open flags that create or truncate";
			return -1;
		}
		if (ok && (op->slot < SLOT_FIRST || op->slot >= SLOT_MAX)) {
			*bad = "an fd slot out of range";
			return -1;
		}
		break;
	case ZOO_RR_WRITE:
		ok = get_str(c, &op->path, "path") == 0 && get_str(c, &op->content, "content") == 0;
		break;
	case ZOO_RR_REPLACE:
		ok = get_u32(c, &op->mode, "mode") == 0 && get_str(c, &op->path, "path") == 0 &&
		     get_str(c, &op->content, "content") == 0;
		break;
	case ZOO_RR_DEVICE_BPF:
		ok = get_str(c, &op->path, "cgroup dir") == 0 && get_blob(c, &op->blob, &op->blob_len, "insns") == 0;
		if (ok && (op->blob_len == 0 || op->blob_len % 8 || op->blob_len / 8 > BPF_MAX_INSNS)) {
			*bad = "a BPF program of a bad size";
			return -1;
		}
		break;
	case ZOO_RR_RMDIR:
		ok = get_u32(c, &op->flags, "flags") == 0 && get_str(c, &op->path, "path") == 0;
		if (ok && (op->flags & ~(ZOO_RRMDIR_RETRY_BUSY | ZOO_RRMDIR_ENOENT_OK))) {
			*bad = "unknown rmdir flags";
			return -1;
		}
		break;
	default:
		*bad = "unknown op";
		return -1;
	}
	if (!ok)
		return -1;
	if (op->mode > 07777) {
		*bad = "a mode that is not one";
		return -1;
	}
	/* An OPEN is for the shim's spawn, START needs CREATED. */
	if ((op->type == ZOO_RR_OPEN && op->phase != ZOO_PHASE_PREPARE) ||
	    (op->type == ZOO_RR_START && op->phase != ZOO_PHASE_CREATED) ||
	    (op->type == ZOO_RR_NETLINK && op->where == ZOO_NL_CONTAINER && op->phase != ZOO_PHASE_CHILD) ||
	    (op->type == ZOO_RR_LEASE && op->phase != ZOO_PHASE_CHILD) ||
	    (op->type == ZOO_RR_RELEASE && op->phase != ZOO_PHASE_TEARDOWN) ||
	    (op->type == ZOO_RR_DBUS && op->phase != ZOO_PHASE_PREPARE)) {
		*bad = "an op in a phase where it cannot run";
		return -1;
	}
	int late = op->phase >= ZOO_PHASE_CHILD;
	if (check_template(op->path, late, bad) < 0 || (op->content && check_template(op->content, late, bad) < 0) ||
	    (op->lock && check_template(op->lock, late, bad) < 0) || (op->file && check_template(op->file, late, bad) < 0))
		return -1;
	if ((op->type == ZOO_RR_LEASE || op->type == ZOO_RR_RELEASE) && check_args(op, late, bad) < 0)
		return -1;
	return 0;
}

static int parse_record(struct rr_entry *e, uint16_t type, struct cur *c, size_t idlen, const char **bad)
{
	switch (type) {
	case ZOO_RR_KEY:
		return get_blob(c, &e->key, &e->key_len, "key");
	case ZOO_RR_FLAGS:
		if (get_u32(c, &e->flags, "flags") < 0)
			return -1;
		if (e->flags & ~(ZOO_RF_ENGINE_ID | ZOO_RF_NO_CREATED | ZOO_RF_RAISE | ZOO_RF_FOREGROUND)) {
			*bad = "unknown flags";
			return -1;
		}
		return 0;
	case ZOO_RR_GUARD_FILE:
	case ZOO_RR_GUARD_STAT: {
		struct rr_guard *g = &e->guards[e->nguards++];

		g->type = type;
		if (type == ZOO_RR_GUARD_STAT) {
			if (get_u32(c, &g->kind, "kind") < 0 || get_str(c, &g->path, "path") < 0)
				return -1;
			if (g->kind > ZOO_GUARD_NOT_DIR) {
				*bad = "unknown guard kind";
				return -1;
			}
		} else if (get_str(c, &g->path, "path") < 0 || get_blob(c, &g->data, &g->len, "content") < 0) {
			return -1;
		}
		return no_marker(g->path, bad);
	}
	case ZOO_RR_SHIM:
		if (get_str(c, &e->shim, "shim") < 0)
			return -1;
		return no_marker(e->shim, bad);
	case ZOO_RR_PLAN:
		return get_blob(c, &e->plan, &e->plan_len, "plan");
	case ZOO_RR_PLAN_SITE: {
		struct rr_site *s = &e->sites[e->nsites++];

		if (get_u32(c, &s->off, "offset") < 0 || get_u32(c, &s->kind, "kind") < 0)
			return -1;
		if (s->kind != ZOO_SITE_ID && s->kind != ZOO_SITE_TOKEN && s->kind != ZOO_SITE_ID_SHORT) {
			*bad = "unknown site kind";
			return -1;
		}
		if (s->kind == ZOO_SITE_ID_SHORT && idlen < ZOO_REPLAY_SHORT_ID_LEN) {
			*bad = "a short-ID site for an ID shorter than that";
			return -1;
		}
		return 0;
	}
	case ZOO_RR_CLEANUP: {
		const char **s = &e->cleanup[e->ncleanup++];

		if (get_str(c, s, "path") < 0)
			return -1;
		/* The list is first sent before the shim exists: no pids yet. */
		return check_template(*s, 0, bad);
	}
	default: {
		struct rr_op *op = &e->ops[e->nops++];

		op->type = type;
		return parse_op(c, op, idlen, bad);
	}
	}
}

int rr_entry_parse(struct rr_entry *e, size_t idlen, char *why, size_t n)
{
	const uint8_t *buf = e->buf;
	size_t len = e->len, off, nkey = 0, nshim = 0, nplan = 0, nflags = 0, nguard = 0, nsite = 0, nclean = 0, nop = 0;
	uint32_t count;

	if (len < ZOO_REPLAY_HEADER_SIZE || zoo_get_u32(buf) != ZOO_REPLAY_MAGIC)
		return rr_why(why, n, "not an entry (magic)");
	if (zoo_get_u16(buf + 4) != ZOO_REPLAY_VERSION || zoo_get_u16(buf + 6) != ZOO_REPLAY_HEADER_SIZE)
		return rr_why(why, n, "entry version %u, header size %u", zoo_get_u16(buf + 4), zoo_get_u16(buf + 6));
	if (zoo_get_u32(buf + 8) != len)
		return rr_why(why, n, "entry total_size %u but %zu bytes", zoo_get_u32(buf + 8), len);
	count = zoo_get_u32(buf + 12);

	/* Pass 1: framing and how many of each. */
	off = ZOO_REPLAY_HEADER_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t type;
		uint32_t plen, pad;

		if (len - off < 8)
			return rr_why(why, n, "record %u: header past the end", i);
		type = zoo_get_u16(buf + off);
		plen = zoo_get_u32(buf + off + 4);
		pad = (4 - plen % 4) % 4;
		if (zoo_get_u16(buf + off + 2) != 0)
			return rr_why(why, n, "record %u: reserved field is not 0", i);
		if ((uint64_t)plen + pad > len - off - 8)
			return rr_why(why, n, "record %u: runs past the end", i);
		for (uint32_t k = 0; k < pad; k++)
			if (buf[off + 8 + plen + k])
				return rr_why(why, n, "record %u: padding is not zero", i);
		switch (type) {
		case ZOO_RR_KEY: nkey++; break;
		case ZOO_RR_SHIM: nshim++; break;
		case ZOO_RR_PLAN: nplan++; break;
		case ZOO_RR_FLAGS: nflags++; break;
		case ZOO_RR_GUARD_FILE:
		case ZOO_RR_GUARD_STAT: nguard++; break;
		case ZOO_RR_PLAN_SITE: nsite++; break;
		case ZOO_RR_CLEANUP: nclean++; break;
		default:
			if (!is_op(type))
				return rr_why(why, n, "record %u: unknown type 0x%04x", i, type);
			nop++;
		}
		off += 8 + (size_t)plen + pad;
	}
	if (off != len)
		return rr_why(why, n, "%zu bytes after the last of %u records", len - off, count);
	if (nkey != 1 || nshim != 1 || nplan != 1)
		return rr_why(why, n, "%zu KEY, %zu SHIM, %zu PLAN records (one each)", nkey, nshim, nplan);
	if (nflags > 1)
		return rr_why(why, n, "%zu FLAGS records (at most one)", nflags);

	e->guards = calloc(nguard + 1, sizeof *e->guards);
	e->sites = calloc(nsite + 1, sizeof *e->sites);
	e->cleanup = calloc(nclean + 1, sizeof *e->cleanup);
	e->ops = calloc(nop + 1, sizeof *e->ops);
	if (!e->guards || !e->sites || !e->cleanup || !e->ops)
		return rr_why(why, n, "out of memory");

	/* Pass 2: payloads, each used up exactly. */
	off = ZOO_REPLAY_HEADER_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t type = zoo_get_u16(buf + off);
		uint32_t plen = zoo_get_u32(buf + off + 4);
		struct cur c = { buf + off + 8, plen, NULL };
		const char *bad = NULL;

		if (parse_record(e, type, &c, idlen, &bad) < 0)
			return rr_why(why, n, "record %u (type 0x%04x): %s", i, type, bad ? bad : c.err ? c.err : "?");
		if (c.left)
			return rr_why(why, n, "record %u (type 0x%04x): %zu bytes left over", i, type, c.left);
		off += 8 + (size_t)plen + (4 - plen % 4) % 4;
	}

	size_t si, sj;

	if (sites_fit(e->sites, plan_site_at, e->nsites, e->plan_len, idlen, &si, &sj) < 0)
		return si == sj ? rr_why(why, n, "plan site %zu runs past the plan", si)
				: rr_why(why, n, "plan sites %zu and %zu overlap", sj, si);
	for (size_t i = 0; i < e->nops; i++)
		/* Without WAIT_START the command runs once SETUP_DONE is sent: an op
		 * after it that failed would fall back, and Bun would run the command
		 * a second time (a START would even wait for its exit). */
		if ((e->flags & ZOO_RF_NO_CREATED) && e->ops[i].phase == ZOO_PHASE_CREATED)
			return rr_why(why, n, "a CREATED-phase op in an entry without CREATED");
	for (size_t i = 0; i < e->nops; i++)
		for (size_t j = 0; j < i; j++)
			if (e->ops[i].type == ZOO_RR_OPEN && e->ops[j].type == ZOO_RR_OPEN &&
			    e->ops[i].slot == e->ops[j].slot)
				return rr_why(why, n, "fd slot %u opened twice", e->ops[i].slot);
	return 0;
}

static int guard_file(const struct rr_guard *g, char *why, size_t n)
{
	uint8_t *data;
	size_t len;
	int same;

	/* One byte more than it held: a file that grew is E2BIG, changed. */
	if (rr_read_small(g->path, (size_t)g->len + 1, &data, &len) < 0)
		return rr_why(why, n, "guard %s: %s", g->path, errno == E2BIG ? "changed" : strerror(errno));
	same = len == g->len && memcmp(data, g->data, len) == 0;
	free(data);
	return same ? 0 : rr_why(why, n, "guard %s: changed", g->path);
}

static int guard_stat(const struct rr_guard *g, char *why, size_t n)
{
	struct stat st;
	int r = stat(g->path, &st);

	switch (g->kind) {
	case ZOO_GUARD_ABSENT:
		if (r < 0 && errno == ENOENT)
			return 0;
		break;
	case ZOO_GUARD_DIR:
		if (r == 0 && S_ISDIR(st.st_mode))
			return 0;
		break;
	default:
		if (r == 0 && !S_ISDIR(st.st_mode))
			return 0;
		break;
	}
	return rr_why(why, n, "guard %s: %s", g->path,
		      r < 0 ? strerror(errno) : S_ISDIR(st.st_mode) ? "is a directory" : "is not a directory");
}

int rr_guards_hold(const struct rr_entry *e, char *why, size_t n)
{
	for (size_t i = 0; i < e->nguards; i++) {
		const struct rr_guard *g = &e->guards[i];

		if ((g->type == ZOO_RR_GUARD_FILE ? guard_file(g, why, n) : guard_stat(g, why, n)) < 0)
			return -1;
	}
	return 0;
}

void rr_entry_free(struct rr_entry *e)
{
	free(e->buf);
	free(e->guards);
	free(e->sites);
	free(e->cleanup);
	free(e->ops);
	memset(e, 0, sizeof *e);
}
