/* A tiny plan encoder for the tests: the TS encoder's job, redone in C so the
 * shim can be tested on its own, and able to write broken plans on purpose. */
#ifndef ZOO_TEST_PLANENC_H
#define ZOO_TEST_PLANENC_H

#include <stddef.h>
#include <stdint.h>

#include "zoo_plan.h"

struct penc {
	uint8_t *buf;
	size_t len, cap;
	uint32_t count;
	size_t rec; /* offset of the open record */
};

void pe_init(struct penc *e); /* writes the header; pe_finish fills its sizes */
void pe_free(struct penc *e);
void pe_begin(struct penc *e, uint16_t type);
void pe_end(struct penc *e); /* length and padding of the open record */
void pe_u32(struct penc *e, uint32_t v);
void pe_u64(struct penc *e, uint64_t v);
void pe_str(struct penc *e, const char *s); /* NULL: absent */
void pe_blob(struct penc *e, const void *p, uint32_t n);
void pe_raw(struct penc *e, const void *p, size_t n);
void pe_finish(struct penc *e);

/* One-call records. */
void pe_clone(struct penc *e, uint64_t flags);
void pe_options(struct penc *e, uint32_t bits);
void pe_name(struct penc *e, const char *name);
void pe_setns(struct penc *e, uint32_t nstype, const char *path);
void pe_cgroup_fd(struct penc *e, int fd);
void pe_mount(struct penc *e, const char *src, const char *target, const char *fstype, uint64_t flags,
	      const char *data);
void pe_mkdir(struct penc *e, const char *path, uint32_t mode, uint32_t flags);
void pe_device(struct penc *e, const char *path, uint32_t mode, uint32_t major, uint32_t minor, uint32_t uid,
	       uint32_t gid, const char *fallback);
void pe_path_op(struct penc *e, uint16_t type, const char *s); /* CHDIR, SETHOSTNAME, MASK_PATH... */
void pe_u32_op(struct penc *e, uint16_t type, uint32_t v); /* SETUID, UMASK, CLOSE_FDS... */
void pe_symlink(struct penc *e, const char *target, const char *linkpath);
void pe_time_ns(struct penc *e, int64_t mono_secs, uint32_t mono_nsecs, int64_t boot_secs, uint32_t boot_nsecs);
void pe_rlimit(struct penc *e, uint32_t resource, uint64_t soft, uint64_t hard);
void pe_write_file(struct penc *e, const char *path, const char *content, uint32_t flags);
void pe_caps(struct penc *e, uint64_t bounding, uint64_t eff, uint64_t prm, uint64_t inh, uint64_t amb);
void pe_seccomp(struct penc *e, uint32_t flags, const void *filter, uint32_t count);
void pe_exec(struct penc *e, const char *path, const char *const *argv, const char *const *envp);
/* EXEC /bin/sh -c script with a plain PATH. */
void pe_sh(struct penc *e, const char *script);

#endif
