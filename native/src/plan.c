/* Plan reading and validation. Everything is checked before the shim acts on
 * any of it: a plan that is half valid must not half run. */
#define _GNU_SOURCE
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define NS_FLAGS                                                                               \
	((uint64_t)(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME))
#define SECCOMP_MAX_INSNS 4096 /* BPF_MAXINSNS */
#define SETGROUPS_MAX 65536 /* NGROUPS_MAX of the kernel */

struct cursor {
	const uint8_t *p;
	size_t left;
	struct zoo_plan_error *err;
};

static int fail(struct zoo_plan_error *err, int32_t index, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct zoo_plan_error *err, int32_t index, int e, const char *fmt, ...)
{
	va_list ap;

	err->index = index;
	va_start(ap, fmt);
	(void)vsnprintf(err->why, sizeof err->why, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* Cursor readers set err->why and return false; the caller adds the index. */
static bool take(struct cursor *c, size_t n, const uint8_t **out, const char *what)
{
	if (c->left < n) {
		(void)snprintf(c->err->why, sizeof c->err->why, "%s runs past the end of its record", what);
		return false;
	}
	*out = c->p;
	c->p += n;
	c->left -= n;
	return true;
}

static bool rd_u32(struct cursor *c, uint32_t *v, const char *what)
{
	const uint8_t *p;

	if (!take(c, 4, &p, what))
		return false;
	*v = zoo_get_u32(p);
	return true;
}

static bool rd_u64(struct cursor *c, uint64_t *v, const char *what)
{
	const uint8_t *p;

	if (!take(c, 8, &p, what))
		return false;
	*v = zoo_get_u64(p);
	return true;
}

/* A str is absent (NULL) when its length is 0; otherwise exactly one NUL, at the end. */
static bool rd_str(struct cursor *c, const char **s, bool required, const char *what)
{
	uint32_t n;
	const uint8_t *p;

	if (!rd_u32(c, &n, what))
		return false;
	if (n == 0) {
		if (required) {
			(void)snprintf(c->err->why, sizeof c->err->why, "%s is required", what);
			return false;
		}
		*s = NULL;
		return true;
	}
	if (!take(c, n, &p, what))
		return false;
	if (p[n - 1] != '\0' || memchr(p, '\0', n - 1) != NULL) {
		(void)snprintf(c->err->why, sizeof c->err->why, "%s is not one NUL-terminated string", what);
		return false;
	}
	*s = (const char *)p;
	return true;
}

static bool rd_blob(struct cursor *c, const uint8_t **data, uint32_t *len, const char *what)
{
	if (!rd_u32(c, len, what))
		return false;
	return take(c, *len, data, what);
}

static bool done(struct cursor *c)
{
	if (c->left != 0) {
		(void)snprintf(c->err->why, sizeof c->err->why, "%zu bytes left over after the payload", c->left);
		return false;
	}
	return true;
}

static bool bad(struct cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool bad(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->err->why, sizeof c->err->why, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_setup(uint16_t type)
{
	return type >= ZOO_REC_CLONE && type <= ZOO_REC_ROOTFS;
}

static bool is_op(uint16_t type)
{
	return (type >= ZOO_OP_MOUNT && type <= ZOO_OP_TIME_NS) || type == ZOO_OP_EXEC;
}

/* NULL-terminated vector of count strings; count is bounded by the bytes left. */
static bool rd_strv(struct cursor *c, char ***out, bool nonempty, const char *what)
{
	uint32_t n;
	char **v;

	if (!rd_u32(c, &n, what))
		return false;
	if (nonempty && n == 0)
		return bad(c, "%s is empty", what);
	if (n > c->left / 4)
		return bad(c, "%s count %u is larger than its record", what, n);
	v = calloc((size_t)n + 1, sizeof *v);
	if (!v)
		return bad(c, "out of memory");
	*out = v;
	for (uint32_t i = 0; i < n; i++) {
		const char *s;

		if (!rd_str(c, &s, true, what))
			return false;
		v[i] = (char *)s;
	}
	return true;
}

static bool parse_op(struct cursor *c, struct zoo_op *op)
{
	uint32_t u;

	switch (op->type) {
	case ZOO_OP_MOUNT:
		if (!rd_u64(c, &op->u.mount.flags, "flags") || !rd_str(c, &op->u.mount.source, false, "source") ||
		    !rd_str(c, &op->u.mount.target, true, "target") ||
		    !rd_str(c, &op->u.mount.fstype, false, "fstype") || !rd_str(c, &op->u.mount.data, false, "data"))
			return false;
		op->object = op->u.mount.target;
		break;
	case ZOO_OP_MKDIR:
		if (!rd_u32(c, &op->u.mkdir.mode, "mode") || !rd_u32(c, &op->u.mkdir.flags, "flags") ||
		    !rd_str(c, &op->u.mkdir.path, true, "path"))
			return false;
		if (op->u.mkdir.flags & ~(ZOO_MKDIR_PARENTS | ZOO_MKDIR_EXIST_OK))
			return bad(c, "unknown mkdir flags 0x%x", op->u.mkdir.flags);
		op->object = op->u.mkdir.path;
		break;
	case ZOO_OP_DEVICE:
		if (!rd_u32(c, &op->u.device.mode, "mode") || !rd_u32(c, &op->u.device.major, "major") ||
		    !rd_u32(c, &op->u.device.minor, "minor") || !rd_u32(c, &op->u.device.uid, "uid") ||
		    !rd_u32(c, &op->u.device.gid, "gid") || !rd_str(c, &op->u.device.path, true, "path") ||
		    !rd_str(c, &op->u.device.fallback, false, "bind_fallback"))
			return false;
		op->object = op->u.device.path;
		break;
	case ZOO_OP_SYMLINK:
		if (!rd_str(c, &op->u.symlink.target, true, "target") ||
		    !rd_str(c, &op->u.symlink.linkpath, true, "linkpath"))
			return false;
		op->object = op->u.symlink.linkpath;
		break;
	case ZOO_OP_PIVOT_ROOT:
		if (!rd_str(c, &op->u.pivot.new_root, true, "new_root") ||
		    !rd_str(c, &op->u.pivot.put_old, true, "put_old"))
			return false;
		op->object = op->u.pivot.new_root;
		break;
	case ZOO_OP_UMOUNT:
		if (!rd_u32(c, &op->u.umount.flags, "flags") || !rd_str(c, &op->u.umount.path, true, "path"))
			return false;
		op->object = op->u.umount.path;
		break;
	case ZOO_OP_CHDIR:
	case ZOO_OP_CHROOT:
	case ZOO_OP_SETHOSTNAME:
	case ZOO_OP_SETDOMAINNAME:
	case ZOO_OP_MASK_PATH:
	case ZOO_OP_READONLY_PATH:
	case ZOO_OP_WAIT_START:
		if (!rd_str(c, &op->u.str, true, "string"))
			return false;
		op->object = op->u.str;
		break;
	case ZOO_OP_RLIMIT:
		if (!rd_u32(c, &op->u.rlimit.resource, "resource") || !rd_u64(c, &op->u.rlimit.soft, "soft") ||
		    !rd_u64(c, &op->u.rlimit.hard, "hard"))
			return false;
		break;
	case ZOO_OP_UNSHARE:
		if (!rd_u64(c, &op->u.unshare_flags, "flags"))
			return false;
		break;
	case ZOO_OP_TIME_NS: {
		uint64_t mono, boot;

		if (!rd_u64(c, &mono, "monotonic secs") || !rd_u32(c, &op->u.timens.monotonic_nsecs, "monotonic nanosecs") ||
		    !rd_u64(c, &boot, "boottime secs") || !rd_u32(c, &op->u.timens.boottime_nsecs, "boottime nanosecs"))
			return false;
		if (op->u.timens.monotonic_nsecs > 999999999 || op->u.timens.boottime_nsecs > 999999999)
			return bad(c, "nanosecs %u is not below one second",
				   op->u.timens.monotonic_nsecs > 999999999 ? op->u.timens.monotonic_nsecs
									   : op->u.timens.boottime_nsecs);
		op->u.timens.monotonic_secs = (int64_t)mono;
		op->u.timens.boottime_secs = (int64_t)boot;
		break;
	}
	case ZOO_OP_SETGROUPS:
		if (!rd_u32(c, &op->u.groups.count, "count"))
			return false;
		if (op->u.groups.count > SETGROUPS_MAX)
			return bad(c, "%u groups is more than the kernel allows", op->u.groups.count);
		if (c->left != (size_t)op->u.groups.count * 4)
			return bad(c, "%zu bytes of gids for %u groups", c->left, op->u.groups.count);
		op->u.groups.gids = calloc(op->u.groups.count ? op->u.groups.count : 1, sizeof(gid_t));
		if (!op->u.groups.gids)
			return bad(c, "out of memory");
		for (uint32_t i = 0; i < op->u.groups.count; i++) {
			if (!rd_u32(c, &u, "gid"))
				return false;
			op->u.groups.gids[i] = u;
		}
		break;
	case ZOO_OP_SETGID:
	case ZOO_OP_SETUID:
	case ZOO_OP_UMASK:
	case ZOO_OP_CLOSE_FDS:
	case ZOO_OP_PERSONALITY:
		if (!rd_u32(c, &op->u.id, "value"))
			return false;
		if (op->type == ZOO_OP_UMASK && op->u.id > 07777)
			return bad(c, "umask 0%o is not a mode", op->u.id);
		break;
	case ZOO_OP_CAPS:
		if (!rd_u64(c, &op->u.caps.bounding, "bounding") || !rd_u64(c, &op->u.caps.effective, "effective") ||
		    !rd_u64(c, &op->u.caps.permitted, "permitted") ||
		    !rd_u64(c, &op->u.caps.inheritable, "inheritable") || !rd_u64(c, &op->u.caps.ambient, "ambient"))
			return false;
		break;
	case ZOO_OP_NO_NEW_PRIVS:
		break;
	case ZOO_OP_SECCOMP:
		if (!rd_u32(c, &op->u.seccomp.flags, "flags") || !rd_u32(c, &u, "count"))
			return false;
		if (u == 0 || u > SECCOMP_MAX_INSNS)
			return bad(c, "a seccomp program of %u instructions", u);
		if (c->left != (size_t)u * 8)
			return bad(c, "%zu bytes of program for %u instructions", c->left, u);
		op->u.seccomp.count = (uint16_t)u;
		op->u.seccomp.filter = calloc(u, sizeof(struct sock_filter));
		if (!op->u.seccomp.filter)
			return bad(c, "out of memory");
		for (uint32_t i = 0; i < u; i++) {
			const uint8_t *p;

			if (!take(c, 8, &p, "instruction"))
				return false;
			op->u.seccomp.filter[i].code = zoo_get_u16(p);
			op->u.seccomp.filter[i].jt = p[2];
			op->u.seccomp.filter[i].jf = p[3];
			op->u.seccomp.filter[i].k = zoo_get_u32(p + 4);
		}
		break;
	case ZOO_OP_WRITE_FILE:
		if (!rd_u32(c, &op->u.write.flags, "flags") || !rd_str(c, &op->u.write.path, true, "path") ||
		    !rd_blob(c, &op->u.write.data, &op->u.write.len, "content"))
			return false;
		if (op->u.write.flags & ~ZOO_WRITE_CREATE)
			return bad(c, "unknown write flags 0x%x", op->u.write.flags);
		op->object = op->u.write.path;
		break;
	case ZOO_OP_TTY:
		if (!rd_u32(c, &u, "socket fd") || !rd_u32(c, &op->u.tty.rows, "rows") ||
		    !rd_u32(c, &op->u.tty.cols, "cols"))
			return false;
		if ((int32_t)u < 0)
			return bad(c, "console socket fd %d", (int32_t)u);
		if (op->u.tty.rows > 0xffff || op->u.tty.cols > 0xffff)
			return bad(c, "terminal size %ux%u is too large", op->u.tty.rows, op->u.tty.cols);
		op->u.tty.sock = (int32_t)u;
		break;
	case ZOO_OP_SECCOMP_LISTENER:
		if (!rd_str(c, &op->u.listener.path, true, "socket path") ||
		    !rd_strv(c, &op->u.listener.parts, true, "state parts"))
			return false;
		if (op->u.listener.path[0] != '/')
			return bad(c, "listener socket path \"%s\" is not absolute", op->u.listener.path);
		op->object = op->u.listener.path;
		break;
	case ZOO_OP_EXEC:
		if (!rd_str(c, &op->u.exec.path, true, "path") || !rd_strv(c, &op->u.exec.argv, true, "argv") ||
		    !rd_strv(c, &op->u.exec.envp, false, "envp"))
			return false;
		op->object = op->u.exec.path;
		break;
	default:
		return bad(c, "unknown op");
	}
	return done(c);
}

static bool parse_setup(struct cursor *c, uint16_t type, struct zoo_plan *plan)
{
	uint32_t u;
	uint64_t flags;
	struct zoo_setns *ns;

	switch (type) {
	case ZOO_REC_CLONE:
		if (!rd_u64(c, &flags, "flags"))
			return false;
		if (flags & ~NS_FLAGS)
			return bad(c, "clone flags 0x%llx are not namespace flags",
				   (unsigned long long)(flags & ~NS_FLAGS));
		plan->clone_flags = flags;
		break;
	case ZOO_REC_CGROUP_FD:
		if (!rd_u32(c, &u, "fd"))
			return false;
		if ((int32_t)u < 0)
			return bad(c, "cgroup fd %d", (int32_t)u);
		plan->cgroup_fd = (int32_t)u;
		break;
	case ZOO_REC_SETNS:
		ns = &plan->setns[plan->nsetns];
		if (!rd_u32(c, &u, "nstype") || !rd_str(c, &ns->path, true, "path"))
			return false;
		if (u != 0 && (u & (u - 1) || !(u & NS_FLAGS)))
			return bad(c, "nstype 0x%x is not one namespace flag", u);
		ns->nstype = (int)u;
		plan->nsetns++;
		break;
	case ZOO_REC_OPTIONS:
		if (!rd_u32(c, &u, "options"))
			return false;
		if (u & ~(ZOO_OPT_FOREGROUND | ZOO_OPT_WAIT_SETUP | ZOO_OPT_EXIT_ON_START | ZOO_OPT_INIT))
			return bad(c, "unknown option bits 0x%x", u);
		plan->options = u;
		break;
	case ZOO_REC_PROCESS_NAME:
		if (!rd_str(c, &plan->process_name, true, "name"))
			return false;
		break;
	case ZOO_REC_ROOTFS:
		if (!rd_str(c, &plan->rootfs, true, "path"))
			return false;
		if (plan->rootfs[0] != '/' || strcmp(plan->rootfs, "/") == 0)
			return bad(c, "rootfs \"%s\" is not an absolute directory below /", plan->rootfs);
		break;
	}
	return done(c);
}

int zoo_plan_parse(uint8_t *buf, size_t len, struct zoo_plan *plan, struct zoo_plan_error *err)
{
	uint32_t total, count, seen = 0, cgroup_record = 0;
	size_t off, nops = 0, nsetns = 0;
	int32_t last_op = -1, exec_at = -1;

	memset(plan, 0, sizeof *plan);
	plan->buf = buf;
	plan->len = len;
	plan->cgroup_fd = -1;

	if (len < ZOO_PLAN_HEADER_SIZE)
		return fail(err, -1, EINVAL, "plan of %zu bytes is shorter than its header", len);
	if (zoo_get_u32(buf) != ZOO_PLAN_MAGIC)
		return fail(err, -1, EINVAL, "bad plan magic 0x%08x", zoo_get_u32(buf));
	if (zoo_get_u16(buf + 4) != ZOO_PLAN_VERSION)
		return fail(err, -1, EINVAL, "plan version %u, this shim reads %u", zoo_get_u16(buf + 4),
			    ZOO_PLAN_VERSION);
	if (zoo_get_u16(buf + 6) != ZOO_PLAN_HEADER_SIZE)
		return fail(err, -1, EINVAL, "plan header size %u", zoo_get_u16(buf + 6));
	total = zoo_get_u32(buf + 8);
	count = zoo_get_u32(buf + 12);
	if (total > ZOO_PLAN_MAX_SIZE)
		return fail(err, -1, E2BIG, "plan total_size %u is over the limit", total);
	if (total != len)
		return fail(err, -1, EINVAL, "plan total_size %u but %zu bytes were read", total, len);

	/* Pass 1: framing, types, counts and record order. */
	off = ZOO_PLAN_HEADER_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t type;
		uint32_t plen, pad;

		if (len - off < 8)
			return fail(err, (int32_t)i, EINVAL, "record header runs past the end of the plan");
		type = zoo_get_u16(buf + off);
		plen = zoo_get_u32(buf + off + 4);
		if (zoo_get_u16(buf + off + 2) != 0)
			return fail(err, (int32_t)i, EINVAL, "record reserved field is not 0");
		pad = (4 - plen % 4) % 4;
		if ((uint64_t)plen + pad > len - off - 8)
			return fail(err, (int32_t)i, EINVAL, "record of %u bytes runs past the end of the plan", plen);
		for (uint32_t k = 0; k < pad; k++)
			if (buf[off + 8 + plen + k] != 0)
				return fail(err, (int32_t)i, EINVAL, "record padding is not zero");
		if (is_setup(type)) {
			if (type == ZOO_REC_SETNS)
				nsetns++;
			else if (seen & (1u << type))
				return fail(err, (int32_t)i, EINVAL, "record type 0x%04x appears twice", type);
			seen |= 1u << type;
		} else if (is_op(type)) {
			if (exec_at >= 0)
				return fail(err, (int32_t)i, EINVAL, "op 0x%04x after EXEC (EXEC must be the last op)",
					    type);
			if (type == ZOO_OP_EXEC)
				exec_at = (int32_t)i;
			last_op = (int32_t)i;
			nops++;
		} else {
			return fail(err, (int32_t)i, EINVAL, "unknown record type 0x%04x", type);
		}
		off += 8 + (size_t)plen + pad;
	}
	if (off != len)
		return fail(err, (int32_t)count, EINVAL, "%zu bytes after the last of %u records", len - off, count);
	if (nops > 0 && exec_at < 0)
		return fail(err, last_op, EINVAL, "the last op must be EXEC");

	plan->ops = calloc(nops ? nops : 1, sizeof *plan->ops);
	plan->setns = calloc(nsetns ? nsetns : 1, sizeof *plan->setns);
	if (!plan->ops || !plan->setns)
		return fail(err, -1, ENOMEM, "out of memory");

	/* Pass 2: payloads. */
	off = ZOO_PLAN_HEADER_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t type = zoo_get_u16(buf + off);
		uint32_t plen = zoo_get_u32(buf + off + 4);
		struct cursor c = { buf + off + 8, plen, err };
		bool ok;

		if (is_setup(type)) {
			ok = parse_setup(&c, type, plan);
			if (type == ZOO_REC_CGROUP_FD)
				cgroup_record = i;
		} else {
			struct zoo_op *op = &plan->ops[plan->nops++];

			op->type = type;
			op->record = i;
			ok = parse_op(&c, op);
		}
		if (!ok) {
			err->index = (int32_t)i;
			/* Prefix the record so "path is required" says which one. */
			char why[sizeof err->why + 64];
			size_t n;

			(void)snprintf(why, sizeof why, "record %u (type 0x%04x): %s", i, type, err->why);
			n = strnlen(why, sizeof err->why - 1);
			memcpy(err->why, why, n);
			err->why[n] = '\0';
			errno = EINVAL;
			return -1;
		}
		off += 8 + (size_t)plen + (4 - plen % 4) % 4;
	}
	if (plan->cgroup_fd >= 0 && fcntl(plan->cgroup_fd, F_GETFD) < 0)
		return fail(err, (int32_t)cgroup_record, EBADF, "cgroup fd %d is not open", plan->cgroup_fd);
	for (size_t i = 0; i < plan->nops; i++)
		if (plan->ops[i].type == ZOO_OP_TTY && fcntl(plan->ops[i].u.tty.sock, F_GETFD) < 0)
			return fail(err, (int32_t)plan->ops[i].record, EBADF, "console socket fd %d is not open",
				    plan->ops[i].u.tty.sock);
	return 0;
}

int zoo_plan_load(int fd, struct zoo_plan *plan, struct zoo_plan_error *err)
{
	uint8_t *buf;
	size_t len;

	memset(plan, 0, sizeof *plan);
	plan->cgroup_fd = -1;
	/* A memfd may have been written through this very fd: rewind it. */
	if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
		return fail(err, -1, errno, "plan fd %d", fd);
	if (zoo_read_all(fd, ZOO_PLAN_MAX_SIZE, &buf, &len) < 0)
		return fail(err, -1, errno, errno == E2BIG ? "plan larger than %u bytes" : "reading the plan (limit %u)",
			    ZOO_PLAN_MAX_SIZE);
	return zoo_plan_parse(buf, len, plan, err);
}

void zoo_plan_free(struct zoo_plan *plan)
{
	for (size_t i = 0; i < plan->nops; i++) {
		struct zoo_op *op = &plan->ops[i];

		switch (op->type) {
		case ZOO_OP_SETGROUPS:
			free(op->u.groups.gids);
			break;
		case ZOO_OP_SECCOMP:
			free(op->u.seccomp.filter);
			break;
		case ZOO_OP_SECCOMP_LISTENER:
			free(op->u.listener.parts);
			break;
		case ZOO_OP_EXEC:
			free(op->u.exec.argv);
			free(op->u.exec.envp);
			break;
		}
	}
	free(plan->ops);
	free(plan->setns);
	free(plan->buf);
	memset(plan, 0, sizeof *plan);
	plan->cgroup_fd = -1;
}
