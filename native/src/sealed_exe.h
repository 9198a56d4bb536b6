#ifndef ZOO_SEALED_EXE_H
#define ZOO_SEALED_EXE_H

/* Re-executes the shim from a write-sealed memfd copy of its binary, unless
 * it already runs from one. Returns 0 when already sealed (or under
 * valgrind), -1 with errno when the copy or the exec failed. */
int zoo_exec_sealed_copy(char **argv);

/* A write-sealed memfd (close-on-exec) holding the whole file `from`, or -1
 * with errno. The front door starts the shim from one, which then has no
 * need to re-execute itself. */
int zoo_sealed_memfd(int from);

#endif
