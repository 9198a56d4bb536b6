// The few libc calls Bun has no API for. Loaded lazily: a run that never
// needs them does not pay for dlopen.
import { dlopen, FFIType, ptr, toArrayBuffer, type Pointer } from "bun:ffi";
import { strerror } from "./errno.ts";

let lib: ReturnType<typeof load> | null = null;

function load() {
  return dlopen("libc.so.6", {
    socketpair: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    memfd_create: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
    signal: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.ptr },
    kill: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    getpid: { args: [], returns: FFIType.i32 },
    setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
    sigprocmask: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    pthread_sigmask: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    mkfifo: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    syscall: { args: [FFIType.i64, FFIType.i64, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  });
}

function libc() {
  return (lib ??= load()).symbols;
}

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const MFD_CLOEXEC = 1;

export class SyscallError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    super(`${call}: ${strerror(errno)}`);
  }
}

function errno(): number {
  const p = libc().__errno_location();
  // toArrayBuffer(ptr, byteOffset, byteLength): errno is the int at offset 0.
  return p === null ? 0 : new Int32Array(toArrayBuffer(p, 0, 4))[0] ?? 0;
}


/** A SOCK_SEQPACKET socketpair, both ends close-on-exec. */
export function seqpacketPair(): [number, number] {
  const fds = new Int32Array(2);
  if (libc().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ptr(fds)) !== 0) {
    throw new SyscallError("socketpair", errno());
  }
  return [fds[0]!, fds[1]!];
}

export function mkfifo(path: string, mode: number): void {
  if (libc().mkfifo(Buffer.from(path + "\0") as unknown as Pointer, mode) !== 0) throw new SyscallError(`mkfifo ${path}`, errno());
}

const LOCK_EX = 2;
const EINTR = 4;

/** Blocks until this process holds an exclusive flock on `fd` (released when the fd closes). */
export function flockExclusive(fd: number): void {
  for (;;) {
    if (libc().flock(fd, LOCK_EX) === 0) return;
    const e = errno();
    if (e !== EINTR) throw new SyscallError("flock", e);
  }
}

const LOCK_NB = 4;
const EBADF = 9;
const EINVAL = 22;

/** Takes an exclusive flock on `fd` if nobody else holds one; false if someone does. */
export function flockTry(fd: number): boolean {
  for (;;) {
    if (libc().flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
    // errno read through FFI is not always the call's (it can read 0), so
    // only the errors that cannot mean "held" are errors here.
    const e = errno();
    if (e === EBADF || e === EINVAL) throw new SyscallError("flock", e);
    if (e !== EINTR) return false;
  }
}

const POLLHUP = 0x10;

/**
 * Waits up to `timeoutMs` for POLLHUP on a fifo's read end. Linux reports it
 * only once a writer has opened (and closed) the fifo since we opened it.
 */
export function pollHangup(fd: number, timeoutMs: number): boolean {
  const pfd = new Int32Array([fd, 0]); // struct pollfd: int fd; short events; short revents
  const n = libc().poll(ptr(pfd), 1n as never, timeoutMs);
  if (n < 0) {
    const e = errno();
    if (e === EINTR) return false;
    throw new SyscallError("poll", e);
  }
  return ((pfd[1]! >>> 16) & POLLHUP) !== 0;
}

export function memfd(name: string): number {
  const fd = libc().memfd_create(Buffer.from(name + "\0") as unknown as Pointer, MFD_CLOEXEC);
  if (fd < 0) throw new SyscallError("memfd_create", errno());
  return fd;
}

/**
 * Die by `sig` the way the container did. Bun installs its own handlers for
 * crash signals, so restore the default first; no core file of ours either.
 */
export function dieBySignal(sig: number): never {
  const c = libc();
  const zero = new BigUint64Array([0n, 0n]);
  c.setrlimit(4 /* RLIMIT_CORE */, ptr(zero));
  c.signal(sig, null);
  const set = new BigUint64Array(16); // sigset_t is 128 bytes
  set[0] = 1n << BigInt(sig - 1);
  c.sigprocmask(1 /* SIG_UNBLOCK */, ptr(set), null);
  c.pthread_sigmask(1, ptr(set), null);
  c.kill(c.getpid(), sig);
  // Still alive: the signal is one whose default is to ignore or stop.
  process.exit(128 + sig);
}

const SOCK_STREAM = 1;

/** A SOCK_STREAM unix socket connected to `path`, close-on-exec. */
export function unixConnect(path: string): number {
  const name = Buffer.from(path);
  // struct sockaddr_un: sa_family_t sun_family; char sun_path[108]
  if (name.length >= 108) throw new SyscallError(`connect ${path}`, 36 /* ENAMETOOLONG */);
  const addr = new Uint8Array(110);
  addr[0] = AF_UNIX;
  addr.set(name, 2);
  const fd = libc().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError("socket", errno());
  for (;;) {
    if (libc().connect(fd, ptr(addr), 2 + name.length + 1) === 0) return fd;
    const e = errno();
    if (e === EINTR) continue;
    libc().close(fd);
    throw new SyscallError(`connect ${path}`, e);
  }
}

/** A SOCK_STREAM unix socketpair, both ends close-on-exec. */
export function streamPair(): [number, number] {
  const fds = new Int32Array(2);
  if (libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptr(fds)) !== 0) throw new SyscallError("socketpair", errno());
  return [fds[0]!, fds[1]!];
}

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;

/**
 * Blocks for one message on `sock` and returns the fd it carries
 * (SCM_RIGHTS, close-on-exec here) and its bytes; null at EOF.
 */
export function recvFd(sock: number): { fd: number; data: string } | null {
  const data = new Uint8Array(256);
  const control = new Uint8Array(24); // CMSG_SPACE(sizeof(int)) on 64-bit
  const iov = new BigUint64Array([BigInt(ptr(data)), BigInt(data.length)]);
  // struct msghdr (64-bit): name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad)
  const mh = new BigUint64Array([0n, 0n, BigInt(ptr(iov)), 1n, BigInt(ptr(control)), BigInt(control.length), 0n]);
  for (;;) {
    const n = Number(libc().recvmsg(sock, ptr(mh), MSG_CMSG_CLOEXEC));
    if (n < 0) {
      const e = errno();
      if (e === EINTR) continue;
      throw new SyscallError("recvmsg", e);
    }
    if (n === 0) return null;
    const dv = new DataView(control.buffer);
    const controlLen = Number(mh[5]);
    // struct cmsghdr: u64 len, i32 level, i32 type, then the fds
    if (controlLen < 20 || dv.getInt32(8, true) !== SOL_SOCKET || dv.getInt32(12, true) !== SCM_RIGHTS) {
      throw new SyscallError("recvmsg: no file descriptor in the message", 22 /* EINVAL */);
    }
    return { fd: dv.getInt32(16, true), data: new TextDecoder().decode(data.subarray(0, n)) };
  }
}

const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;

/** The terminal size of `fd` (struct winsize: rows, cols, xpixel, ypixel), or null if it is no terminal. */
export function getWinsize(fd: number): { rows: number; cols: number } | null {
  const ws = new Uint16Array(4);
  if (libc().ioctl(fd, TIOCGWINSZ, ptr(ws)) !== 0) return null;
  return { rows: ws[0]!, cols: ws[1]! };
}

/** Sets the size of the terminal `fd` (the kernel sends SIGWINCH to its foreground group). */
export function setWinsize(fd: number, size: { rows: number; cols: number }): void {
  const ws = new Uint16Array([size.rows, size.cols, 0, 0]);
  if (libc().ioctl(fd, TIOCSWINSZ, ptr(ws)) !== 0) throw new SyscallError("ioctl TIOCSWINSZ", errno());
}

// glibc has no bpf() wrapper; the number differs by architecture.
const SYS_BPF: Partial<Record<string, number>> = { x64: 321, arm64: 280 };
const ENOSYS = 38;

/** bpf(2) with `attr` as the union bpf_attr; returns what the command returns (an fd for loads). */
export function bpf(cmd: number, attr: Uint8Array): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new SyscallError("bpf", ENOSYS);
  const r = Number(libc().syscall(BigInt(nr) as never, BigInt(cmd) as never, ptr(attr), BigInt(attr.length) as never));
  if (r < 0) throw new SyscallError("bpf", errno());
  return r;
}
