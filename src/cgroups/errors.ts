// Error family for the cgroup layer. Every message is one line a user can act
// on; the structured fields let callers (and tests) inspect what went wrong
// without parsing text.

// glibc strerror() wording, so messages read like the ones from C tools.
const STRERROR: Record<string, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  E2BIG: "Argument list too long",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  ERANGE: "Numerical result out of range",
  ENOTEMPTY: "Directory not empty",
  EOPNOTSUPP: "Operation not supported",
  ENOTSUP: "Operation not supported",
};

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Human text for a failed syscall error ("Invalid argument"); falls back to the message. */
export function errnoText(err: unknown): string {
  const code = errnoCode(err);
  if (code !== undefined) return STRERROR[code] ?? code;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface CgroupErrorFields {
  /** The cgroup directory involved. */
  path?: string;
  /** The control file written or read, relative to `path`. */
  file?: string;
  /** The value that was being written. */
  value?: string;
  /** errno name, e.g. "EINVAL". */
  code?: string;
  cause?: unknown;
}

export class CgroupError extends Error {
  readonly path: string | undefined;
  readonly file: string | undefined;
  readonly value: string | undefined;
  readonly code: string | undefined;

  constructor(message: string, fields: CgroupErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.path = fields.path;
    this.file = fields.file;
    this.value = fields.value;
    this.code = fields.code;
  }
}

/** A control-file write the kernel refused: `write <dir>/<file> = "<value>": <errno text>`. */
export class CgroupWriteError extends CgroupError {
  constructor(path: string, file: string, value: string, cause: unknown) {
    super(`write ${path}/${file} = ${JSON.stringify(value)}: ${errnoText(cause)}`, {
      path,
      file,
      value,
      code: errnoCode(cause),
      cause,
    });
  }
}

/** A filesystem operation on a cgroup directory failed (mkdir, rmdir, open, read). */
export class CgroupFsError extends CgroupError {
  constructor(op: string, path: string, cause: unknown, hint?: string) {
    super(`${op} ${path}: ${errnoText(cause)}${hint ? `; ${hint}` : ""}`, {
      path,
      code: errnoCode(cause),
      cause,
    });
  }
}

/** The requested resources are inconsistent or out of range; nothing was touched. */
export class CgroupConfigError extends CgroupError {}

/** The caller may not manage the cgroup a limit needs (rootless without delegation, v2 subtree rules). */
export class CgroupDelegationError extends CgroupError {}
