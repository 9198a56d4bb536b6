/* A run-cache entry: found, trusted, validated whole, guards checked
 * (docs/design/run-cache.md, "Entry format"). Nothing is done with an entry
 * until all of it has passed. */
#ifndef RR_ENTRY_H
#define RR_ENTRY_H

#include <stddef.h>
#include <stdint.h>

struct rr_guard {
	uint16_t type; /* ZOO_RR_GUARD_FILE or ZOO_RR_GUARD_STAT */
	uint32_t kind; /* GUARD_STAT: ZOO_GUARD_* */
	const char *path;
	const uint8_t *data; /* GUARD_FILE: the bytes the file must hold */
	uint32_t len;
};

struct rr_site {
	uint32_t off, kind; /* ZOO_SITE_* */
};

/* One host op; which fields mean something depends on the type (zoo_replay.h). */
struct rr_op {
	uint16_t type;
	uint32_t phase, mode, flags, slot;
	uint32_t timeout_ms; /* AWAIT_CGROUP */
	uint32_t where, protocol, ok_errno; /* NETLINK */
	uint32_t expect_off, expect_val; /* NETLINK: u32 the answer must hold at this offset (0: no check) */
	const char *path, *content; /* templates; DBUS: the socket, AWAIT_CGROUP: the suffix, LEASE/RELEASE: the dir */
	const char *lock, *file; /* LEASE/RELEASE templates: the lock file, the lease file's name in path */
	const uint8_t *blob; /* DEVICE_BPF instructions, a NETLINK request, DBUS messages, LEASE/RELEASE's helper args */
	uint32_t blob_len;
	const uint8_t *sites; /* DBUS, NETLINK: u32 (offset, kind) pairs into blob, validated */
	uint32_t sites_len;
};

struct rr_entry {
	uint8_t *buf; /* the file; every pointer below points into it */
	size_t len;
	const uint8_t *key;
	uint32_t key_len;
	uint32_t flags; /* ZOO_RF_*; 0 without a FLAGS record */
	const char *shim;
	const uint8_t *plan;
	uint32_t plan_len;
	struct rr_site *sites;
	size_t nsites;
	const char **cleanup; /* templates, list order */
	size_t ncleanup;
	struct rr_guard *guards;
	size_t nguards;
	struct rr_op *ops; /* record order */
	size_t nops;
};

/* Reads <dir>/<name> if the directory and the file pass the trust checks.
 * 0: read (e->buf, e->len); -1: a miss, *why says why. */
int rr_entry_read(const char *dir, const char *name, struct rr_entry *e, char *why, size_t n);

/* Validates e->buf completely. `idlen`: the length of this run's ID, which
 * an ID site must have (and a short-ID site needs at least 12 of). 0: valid;
 * -1: invalid, *why says where. Which door the entry is for (ZOO_RF_ENGINE_ID)
 * is the caller's to check. */
int rr_entry_parse(struct rr_entry *e, size_t idlen, char *why, size_t n);

/* 0: every guard holds; -1: one does not (*why). */
int rr_guards_hold(const struct rr_entry *e, char *why, size_t n);

void rr_entry_free(struct rr_entry *e);

#endif
