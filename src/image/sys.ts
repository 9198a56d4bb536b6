// libc calls layer extraction needs and node:fs lacks: mknod (overlay
// whiteouts, device nodes) and lsetxattr (opaque dirs, file capabilities).
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";

let lib: ReturnType<typeof load> | null = null;

function load() {
  return dlopen("libc.so.6", {
    mknod: { args: [FFIType.cstring, FFIType.u32, FFIType.u64], returns: FFIType.i32 },
    lsetxattr: { args: [FFIType.cstring, FFIType.cstring, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    lgetxattr: { args: [FFIType.cstring, FFIType.cstring, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

const libc = () => (lib ??= load());
const cstr = (s: string) => ptr(Buffer.from(s + "\0"));

function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : (new Int32Array(toArrayBuffer(p, 4))[0] ?? 0);
}

export class FsCallError extends Error {
  constructor(readonly call: string, readonly path: string, readonly errno: number) {
    super(`${call} ${path}: errno ${errno}`);
  }
}

/** makedev() as glibc encodes it. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (libc().mknod(cstr(path), mode, makedev(major, minor)) !== 0) throw new FsCallError("mknod", path, errno());
}

export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  const v = value.length ? value : new Uint8Array(1);
  if (libc().lsetxattr(cstr(path), cstr(name), ptr(v), value.length, 0) !== 0) throw new FsCallError("setxattr", path, errno());
}

/** The attribute's value, or null when it is not set. */
export function lgetxattr(path: string, name: string): Uint8Array | null {
  const buf = new Uint8Array(4096);
  const n = Number(libc().lgetxattr(cstr(path), cstr(name), ptr(buf), buf.length));
  return n < 0 ? null : buf.slice(0, n);
}

const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, EINTR = 4, EWOULDBLOCK = 11;

/** flock(2): shared (blocking) or exclusive without waiting; false when another holder has it. */
export function flock(fd: number, mode: "shared" | "exclusive-now"): boolean {
  const op = mode === "shared" ? LOCK_SH : LOCK_EX | LOCK_NB;
  for (;;) {
    if (libc().flock(fd, op) === 0) return true;
    const e = errno();
    if (e === EINTR) continue;
    if (e === EWOULDBLOCK) return false;
    throw new FsCallError("flock", String(fd), e);
  }
}
