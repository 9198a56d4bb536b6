/* Which runs the cache may know, and the key an entry is filed under
 * (docs/design/run-cache.md, "Key"). */
#ifndef RR_KEY_H
#define RR_KEY_H

#include <stddef.h>
#include <stdint.h>

#define RR_ID_MAX 1024

/* The cheap test before anything else: a `run` with a valid ID last and the
 * cache not switched off. 0: go on; -1: fall back at once, *why says why. */
int rr_precheck(int argc, char **argv, char *why, size_t n);

/* The same for the `zoo` door: `run` first, something after it, the cache
 * not switched off. Allocates nothing. */
int rr_precheck_engine(int argc, char **argv, char *why, size_t n);

int rr_valid_id(const char *id);

/* The key blob for this process (malloc'd): `dir` is the directory of our
 * executable, where the Bun executable (ZOO_REPLAY_BUN_NAME) lies next to
 * us. `engine`: the `zoo` door's key (door=zoo, its environment, every
 * argument); else zoo-runtime's (all but the last, the ID). `idlen`: the
 * length of this run's ID. */
int rr_key(const char *dir, int engine, int argc, char **argv, size_t idlen, uint8_t **out, size_t *len, char *why,
	   size_t n);

/* 64-bit FNV-1a, the entry's file name as 16 lowercase hex digits. */
uint64_t rr_fnv1a(const uint8_t *p, size_t n);

#endif
