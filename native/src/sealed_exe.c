/* Run from a sealed in-memory copy of ourselves (the CVE-2019-5736 class).
 *
 * A process in a container can reach the binary of any process it can see
 * through /proc/<pid>/exe, and make the shim run inside the container by
 * having it exec a script whose interpreter is "#!/proc/self/exe". Holding
 * that magic link until the shim exits, it could then open the shim's file
 * on the host for writing and replace the runtime every later container (and
 * host root) runs. So the shim re-executes itself from a memfd with every
 * write seal set before it reads its plan: /proc/<pid>/exe of every shim
 * process then names that copy, which nobody can write, and the file on disk
 * is never the executable of a process a container can see. */
#define _GNU_SOURCE
#include "sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif


#define ZOO_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool is_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & ZOO_SEALS) == ZOO_SEALS;
}

static int copy_all(int to, int from)
{
	struct stat st;
	off_t off = 0;

	if (fstat(from, &st) < 0)
		return -1;
	while (off < st.st_size) {
		ssize_t n = sendfile(to, from, &off, (size_t)(st.st_size - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* the file shrank under us */
			return -1;
		}
	}
	return 0;
}

int zoo_sealed_memfd(int from)
{
	int mem = memfd_create("zoo-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING), saved;

	if (mem < 0)
		return -1;
	if (copy_all(mem, from) == 0 && fcntl(mem, F_ADD_SEALS, ZOO_SEALS) == 0)
		return mem;
	saved = errno;
	(void)close(mem);
	errno = saved;
	return -1;
}

int zoo_exec_sealed_copy(char **argv)
{
	extern char **environ;
	int self, mem, saved;

	/* valgrind runs us from its own loader: a re-exec would leave it and run
	 * unchecked; the checked build is a test build only. */
	if (RUNNING_ON_VALGRIND)
		return 0;
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	if (is_sealed(self))
		return close(self);
	mem = zoo_sealed_memfd(self);
	saved = errno;
	(void)close(self);
	if (mem < 0) {
		errno = saved;
		return -1;
	}
	/* Only returns on failure; MFD_CLOEXEC closes the copy's fd in the new image. */
	(void)syscall(SYS_execveat, mem, "", argv, environ, AT_EMPTY_PATH);
	saved = errno;
	(void)close(mem);
	errno = saved;
	return -1;
}
