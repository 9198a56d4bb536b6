/* execve, with execvp's PATH search done against the container's own
 * environment (glibc's execvp would use the shim's). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ops.h"
#include "sync.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_path(char *const *envp)
{
	for (; *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return DEFAULT_PATH;
}

static void search_and_exec(const char *file, char *const *argv, char *const *envp)
{
	const char *path = env_path(envp);
	size_t flen = strlen(file);
	bool eacces = false;
	char buf[PATH_MAX];

	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);

		/* An empty PATH element is the current directory, as in execvp. */
		if (dlen == 0) {
			buf[0] = '.';
			dlen = 1;
		} else if (dlen < sizeof buf) {
			memcpy(buf, p, dlen);
		}
		if (dlen + 1 + flen + 1 > sizeof buf) {
			errno = ENAMETOOLONG;
		} else {
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			execve(buf, argv, envp);
		}
		switch (errno) {
		case EACCES:
			/* A later directory may still have a runnable one; if none
			 * does, "permission denied" says more than "not found". */
			eacces = true;
			break;
		case ENOENT:
		case ENOTDIR:
		case ESTALE:
		case ENODEV:
		case ETIMEDOUT:
		case ENAMETOOLONG:
			break;
		default:
			/* The file was found and is broken (ENOEXEC, E2BIG...). */
			return;
		}
		if (*end == '\0')
			break;
		p = end;
	}
	errno = eacces ? EACCES : ENOENT;
}

/* Whether execve would find `file`: a runnable file on the path or PATH.
 * Checked before `create` returns, as runc's LookPath is, because once the
 * container is started nobody is left to hear that its command is missing. */
int zoo_exec_lookup(const struct zoo_op *op)
{
	const char *file = op->u.exec.path, *path;
	size_t flen = strlen(file);
	bool eacces = false;
	char buf[PATH_MAX];

	if (file[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/'))
		return access(file, X_OK);
	path = env_path(op->u.exec.envp);
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = end == p ? 1 : (size_t)(end - p);

		if (dlen + 1 + flen + 1 <= sizeof buf) {
			memcpy(buf, end == p ? "." : p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			if (access(buf, X_OK) == 0)
				return 0;
			if (errno == EACCES)
				eacces = true;
		}
		if (*end == '\0')
			break;
		p = end;
	}
	errno = eacces ? EACCES : ENOENT;
	return -1;
}

int op_exec(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	const char *file = op->u.exec.path;

	if (zoo_send(ctx->sock, ZOO_CHILD_MSG_EXECING, NULL, 0) < 0)
		return -1;
	/* The parent-death signal guards setup only: the container must outlive a
	 * crashed monitor like any process outlives its parent. */
	if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
		return -1;
	if (file[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/'))
		execve(file, op->u.exec.argv, op->u.exec.envp);
	else
		search_and_exec(file, op->u.exec.argv, op->u.exec.envp);
	return -1;
}
