// libc calls the network layer needs and Bun has no API for: netlink sockets
// and setns. Loaded lazily, like src/sys/libc.ts.
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { SyscallError } from "../sys/libc.ts";

let lib: ReturnType<typeof load> | null = null;

function load() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
    recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
}

export const libc = () => (lib ??= load()).symbols;

export function errno(): number {
  const p = libc().__errno_location();
  // toArrayBuffer(ptr, byteOffset, byteLength): errno is the int at offset 0.
  return p === null ? 0 : (new Int32Array(toArrayBuffer(p, 0, 4))[0] ?? 0);
}

export const EINTR = 4;
export const EAGAIN = 11;

export function check(call: string, r: number | bigint): number {
  const n = Number(r);
  if (n < 0) throw new SyscallError(call, errno());
  return n;
}

export { ptr };

const O_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;

/** A close-on-exec pipe: [read end, write end]. */
export function pipe(flags = 0): [number, number] {
  const fds = new Int32Array(2);
  if (libc().pipe2(ptr(fds), O_CLOEXEC | flags) !== 0) throw new SyscallError("pipe2", errno());
  return [fds[0]!, fds[1]!];
}
