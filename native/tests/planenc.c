#include "planenc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct penc *e, const void *p, size_t n)
{
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 256;

		while (cap < e->len + n)
			cap *= 2;
		e->buf = realloc(e->buf, cap);
		if (!e->buf) {
			perror("realloc");
			exit(2);
		}
		e->cap = cap;
	}
	if (n)
		memcpy(e->buf + e->len, p, n);
	e->len += n;
}

void pe_raw(struct penc *e, const void *p, size_t n)
{
	put(e, p, n);
}

void pe_u32(struct penc *e, uint32_t v)
{
	put(e, &v, 4);
}

void pe_u64(struct penc *e, uint64_t v)
{
	put(e, &v, 8);
}

void pe_str(struct penc *e, const char *s)
{
	if (!s) {
		pe_u32(e, 0);
		return;
	}
	pe_u32(e, (uint32_t)strlen(s) + 1);
	put(e, s, strlen(s) + 1);
}

void pe_blob(struct penc *e, const void *p, uint32_t n)
{
	pe_u32(e, n);
	put(e, p, n);
}

void pe_init(struct penc *e)
{
	uint8_t hdr[16] = { 0 };

	memset(e, 0, sizeof *e);
	put(e, hdr, sizeof hdr);
}

void pe_free(struct penc *e)
{
	free(e->buf);
	memset(e, 0, sizeof *e);
}

void pe_begin(struct penc *e, uint16_t type)
{
	uint16_t zero = 0;
	uint32_t len = 0;

	e->rec = e->len;
	put(e, &type, 2);
	put(e, &zero, 2);
	put(e, &len, 4);
	e->count++;
}

void pe_end(struct penc *e)
{
	uint32_t len = (uint32_t)(e->len - e->rec - 8);
	static const uint8_t pad[3];

	memcpy(e->buf + e->rec + 4, &len, 4);
	put(e, pad, (4 - len % 4) % 4);
}

void pe_finish(struct penc *e)
{
	uint32_t magic = ZOO_PLAN_MAGIC, total = (uint32_t)e->len;
	uint16_t version = ZOO_PLAN_VERSION, hsize = ZOO_PLAN_HEADER_SIZE;

	memcpy(e->buf, &magic, 4);
	memcpy(e->buf + 4, &version, 2);
	memcpy(e->buf + 6, &hsize, 2);
	memcpy(e->buf + 8, &total, 4);
	memcpy(e->buf + 12, &e->count, 4);
}

void pe_clone(struct penc *e, uint64_t flags)
{
	pe_begin(e, ZOO_REC_CLONE);
	pe_u64(e, flags);
	pe_end(e);
}

void pe_options(struct penc *e, uint32_t bits)
{
	pe_begin(e, ZOO_REC_OPTIONS);
	pe_u32(e, bits);
	pe_end(e);
}

void pe_name(struct penc *e, const char *name)
{
	pe_begin(e, ZOO_REC_PROCESS_NAME);
	pe_str(e, name);
	pe_end(e);
}

void pe_setns(struct penc *e, uint32_t nstype, const char *path)
{
	pe_begin(e, ZOO_REC_SETNS);
	pe_u32(e, nstype);
	pe_str(e, path);
	pe_end(e);
}

void pe_cgroup_fd(struct penc *e, int fd)
{
	pe_begin(e, ZOO_REC_CGROUP_FD);
	pe_u32(e, (uint32_t)fd);
	pe_end(e);
}

void pe_mount(struct penc *e, const char *src, const char *target, const char *fstype, uint64_t flags,
	      const char *data)
{
	pe_begin(e, ZOO_OP_MOUNT);
	pe_u64(e, flags);
	pe_str(e, src);
	pe_str(e, target);
	pe_str(e, fstype);
	pe_str(e, data);
	pe_end(e);
}

void pe_mkdir(struct penc *e, const char *path, uint32_t mode, uint32_t flags)
{
	pe_begin(e, ZOO_OP_MKDIR);
	pe_u32(e, mode);
	pe_u32(e, flags);
	pe_str(e, path);
	pe_end(e);
}

void pe_device(struct penc *e, const char *path, uint32_t mode, uint32_t major, uint32_t minor, uint32_t uid,
	       uint32_t gid, const char *fallback)
{
	pe_begin(e, ZOO_OP_DEVICE);
	pe_u32(e, mode);
	pe_u32(e, major);
	pe_u32(e, minor);
	pe_u32(e, uid);
	pe_u32(e, gid);
	pe_str(e, path);
	pe_str(e, fallback);
	pe_end(e);
}

void pe_path_op(struct penc *e, uint16_t type, const char *s)
{
	pe_begin(e, type);
	pe_str(e, s);
	pe_end(e);
}

void pe_u32_op(struct penc *e, uint16_t type, uint32_t v)
{
	pe_begin(e, type);
	pe_u32(e, v);
	pe_end(e);
}

void pe_symlink(struct penc *e, const char *target, const char *linkpath)
{
	pe_begin(e, ZOO_OP_SYMLINK);
	pe_str(e, target);
	pe_str(e, linkpath);
	pe_end(e);
}

void pe_time_ns(struct penc *e, int64_t mono_secs, uint32_t mono_nsecs, int64_t boot_secs, uint32_t boot_nsecs)
{
	pe_begin(e, ZOO_OP_TIME_NS);
	pe_u64(e, (uint64_t)mono_secs);
	pe_u32(e, mono_nsecs);
	pe_u64(e, (uint64_t)boot_secs);
	pe_u32(e, boot_nsecs);
	pe_end(e);
}

void pe_rlimit(struct penc *e, uint32_t resource, uint64_t soft, uint64_t hard)
{
	pe_begin(e, ZOO_OP_RLIMIT);
	pe_u32(e, resource);
	pe_u64(e, soft);
	pe_u64(e, hard);
	pe_end(e);
}

void pe_write_file(struct penc *e, const char *path, const char *content, uint32_t flags)
{
	pe_begin(e, ZOO_OP_WRITE_FILE);
	pe_u32(e, flags);
	pe_str(e, path);
	pe_blob(e, content, (uint32_t)strlen(content));
	pe_end(e);
}

void pe_caps(struct penc *e, uint64_t bounding, uint64_t eff, uint64_t prm, uint64_t inh, uint64_t amb)
{
	pe_begin(e, ZOO_OP_CAPS);
	pe_u64(e, bounding);
	pe_u64(e, eff);
	pe_u64(e, prm);
	pe_u64(e, inh);
	pe_u64(e, amb);
	pe_end(e);
}

void pe_seccomp(struct penc *e, uint32_t flags, const void *filter, uint32_t count)
{
	pe_begin(e, ZOO_OP_SECCOMP);
	pe_u32(e, flags);
	pe_u32(e, count);
	pe_raw(e, filter, (size_t)count * 8);
	pe_end(e);
}

void pe_exec(struct penc *e, const char *path, const char *const *argv, const char *const *envp)
{
	uint32_t n;

	pe_begin(e, ZOO_OP_EXEC);
	pe_str(e, path);
	for (n = 0; argv[n]; n++)
		;
	pe_u32(e, n);
	for (uint32_t i = 0; i < n; i++)
		pe_str(e, argv[i]);
	for (n = 0; envp && envp[n]; n++)
		;
	pe_u32(e, n);
	for (uint32_t i = 0; i < n; i++)
		pe_str(e, envp[i]);
	pe_end(e);
}

void pe_sh(struct penc *e, const char *script)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

	pe_exec(e, "/bin/sh", argv, envp);
}
