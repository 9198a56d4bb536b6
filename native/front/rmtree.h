/* Removing a directory tree that holds anything a container wrote
 * (ZOO_RR_RMTREE_ALL, and the undo of a directory a replay made). */
#ifndef RR_RMTREE_H
#define RR_RMTREE_H

/* Removes everything below `path`, depth first, then leaves `path` itself
 * to the caller. Symlinks are removed, never followed; nothing on another
 * mount is touched: a mount point inside is left (with what leads to it)
 * and the result is EBUSY, as is a `path` that is itself a mount's root.
 * Every entry that can go goes even after a failure, but for one: a
 * directory moved while the walk was below it (coming back up by ".." does
 * not reach the directory it went down from, ESTALE) stops the walk there,
 * as what ".." now is may be outside the tree. Any depth, with at most four
 * fds open at a time and memory for a name and an identity per level. 0,
 * or -1 with the first failure's errno (ENOENT: `path` is not there). */
int rr_empty_tree(const char *path);

/* rr_empty_tree, then rmdir: ZOO_RR_RMTREE_ALL. A missing `path` is success. */
int rr_rmtree_all(const char *path);

#endif
