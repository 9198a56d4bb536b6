/* The plan: read from the plan fd, validated as a whole, then kept as structs
 * whose strings point into the plan buffer (so nothing is copied). */
#ifndef ZOO_PLAN_PARSE_H
#define ZOO_PLAN_PARSE_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "zoo_plan.h"

struct zoo_op {
	uint16_t type;
	uint32_t record; /* record index, for messages */
	const char *object; /* what an error on this op names */
	union {
		struct {
			uint64_t flags;
			const char *source, *target, *fstype, *data;
		} mount;
		struct {
			uint32_t mode, flags;
			const char *path;
		} mkdir;
		struct {
			uint32_t mode, major, minor, uid, gid;
			const char *path, *fallback;
		} device;
		struct {
			const char *target, *linkpath;
		} symlink;
		struct {
			const char *new_root, *put_old;
		} pivot;
		struct {
			uint32_t flags;
			const char *path;
		} umount;
		/* CHDIR, CHROOT, SETHOSTNAME, SETDOMAINNAME, MASK_PATH, WAIT_START */
		const char *str;
		struct {
			uint32_t resource;
			uint64_t soft, hard;
		} rlimit;
		uint64_t unshare_flags;
		struct {
			int64_t monotonic_secs, boottime_secs;
			uint32_t monotonic_nsecs, boottime_nsecs;
		} timens;
		struct {
			uint32_t count;
			gid_t *gids;
		} groups;
		uint32_t id; /* SETGID, SETUID, UMASK, CLOSE_FDS, PERSONALITY */
		struct {
			uint64_t bounding, effective, permitted, inheritable, ambient;
		} caps;
		struct {
			uint32_t flags;
			uint16_t count;
			struct sock_filter *filter;
		} seccomp;
		struct {
			const char *path;
			char **parts; /* NULL-terminated */
		} listener;
		struct {
			uint32_t flags;
			const char *path;
			const uint8_t *data;
			uint32_t len;
		} write;
		struct {
			int32_t sock;
			uint32_t rows, cols;
		} tty;
		struct {
			const char *path;
			char **argv, **envp; /* NULL-terminated */
		} exec;
	} u;
};

struct zoo_setns {
	int nstype;
	const char *path;
};

struct zoo_plan {
	uint8_t *buf;
	size_t len;
	uint64_t clone_flags;
	int cgroup_fd; /* -1: none */
	uint32_t options;
	const char *process_name; /* NULL: default */
	const char *rootfs; /* NULL: paths are used as given */
	struct zoo_setns *setns;
	size_t nsetns;
	struct zoo_op *ops;
	size_t nops;
};

/* Where and why a plan was rejected: index is the record index, or -1 for the header. */
struct zoo_plan_error {
	int32_t index;
	char why[160];
};

/* Read and validate; on failure errno is set and err says where. */
int zoo_plan_load(int fd, struct zoo_plan *plan, struct zoo_plan_error *err);
/* Validate a plan already in memory; takes ownership of buf (freed by zoo_plan_free). */
int zoo_plan_parse(uint8_t *buf, size_t len, struct zoo_plan *plan, struct zoo_plan_error *err);
void zoo_plan_free(struct zoo_plan *plan);

#endif
