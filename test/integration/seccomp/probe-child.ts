/**
 * Child process for seccomp.integration.test.ts (not a test file itself).
 *
 * Installs the filter given in ZOO_FILTER_HEX (struct sock_filter[] bytes)
 * into this very Bun process, then runs the probes named in ZOO_PROBES and
 * writes one JSON line per probe to stdout. With an empty ZOO_FILTER_HEX it
 * runs the probes unfiltered, which gives the parent a baseline.
 *
 * Output is written with writeSync so nothing sits in a buffer when a probe
 * gets the process killed.
 */
import { dlopen, ptr, read } from "bun:ffi";
import { statSync, writeSync } from "node:fs";
import { hostArch, syscallNumber } from "../../../src/seccomp/arch.ts";

const libc = dlopen("libc.so.6", {
  prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
  syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
  __errno_location: { args: [], returns: "ptr" },
});

const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_SET_MODE_FILTER = 1;
const AT_FDCWD = -100;
const CLONE_NEWUSER = 0x10000000;
const TIOCSTI = 0x5412;
const TIOCGWINSZ = 0x5413;
const KEYCTL_GET_KEYRING_ID = 0;
const X32_BIT = 0x40000000;
const FCHMODAT2 = 452; // same number on x86_64 and aarch64; absent from pre-6.6 headers

const arch = hostArch();
const emit = (obj: unknown) => writeSync(1, `${JSON.stringify(obj)}\n`);

function nr(name: string): number {
  const n = syscallNumber(arch, name);
  if (n === undefined) throw new Error(`no ${name} on ${arch}`);
  return n;
}

type Arg = number | bigint;
/** Raw syscall: returns the result, or -errno, reading errno right after the call on the same thread. */
function sys(number: number, ...args: Arg[]): number {
  const a = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6).map((v) => BigInt.asIntN(64, BigInt(v)));
  const r = Number(libc.symbols.syscall(number, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!));
  if (r !== -1) return r;
  return -read.i32(libc.symbols.__errno_location()!, 0);
}

function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

const keepAlive: Buffer[] = [];

function loadFilter(hex: string, flags: number): void {
  const filter = Buffer.from(hex, "hex");
  // struct sock_fprog { unsigned short len; /* 6 bytes padding */ struct sock_filter *filter; }
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(filter.length / 8, 0);
  fprog.writeBigUInt64LE(BigInt(ptr(filter)), 8);
  const nnp = libc.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (nnp !== 0) throw new Error(`prctl(PR_SET_NO_NEW_PRIVS) failed`);
  emit({ event: "loading" });
  const r = sys(nr("seccomp"), SECCOMP_SET_MODE_FILTER, flags, ptr(fprog));
  keepAlive.push(filter, fprog); // the kernel has copied them by now; this just rules out an early GC
  if (r !== 0) throw new Error(`seccomp(SET_MODE_FILTER) returned ${r}`);
  emit({ event: "loaded" });
}

const file = process.env.ZOO_FILE ?? "";
const mode = () => statSync(file).mode & 0o7777;
const path = cstr(file);

/** chmod through whichever syscall this arch has (aarch64 has no chmod). */
function chmodSys(m: number): number {
  return arch === "x86_64" ? sys(nr("chmod"), ptr(path), m) : sys(nr("fchmodat"), AT_FDCWD, ptr(path), m);
}

const probes: Record<string, () => Record<string, unknown>> = {
  getpid: () => ({ ret: sys(nr("getpid")), pid: process.pid }),
  getppid: () => ({ ret: sys(nr("getppid")), ppid: process.ppid }),
  chmod_plain: () => ({ ret: chmodSys(0o755), mode: mode() }),
  chmod_suid: () => ({ ret: chmodSys(0o4755), mode: mode() }),
  fchmodat_sgid: () => ({ ret: sys(nr("fchmodat"), AT_FDCWD, ptr(path), 0o2755), mode: mode() }),
  fchmodat2_suid: () => ({ ret: sys(FCHMODAT2, AT_FDCWD, ptr(path), 0o4755, 0), mode: mode() }),
  // x32 chmod: only meaningful on x86_64
  x32_chmod_suid: () => ({ ret: sys(X32_BIT | nr("chmod"), ptr(path), 0o4755), mode: mode() }),
  x32_getpid: () => ({ ret: sys(X32_BIT | nr("getpid")) }),
  unshare_newuser: () => ({ ret: sys(nr("unshare"), CLONE_NEWUSER) }),
  // fd 0 is not a terminal here, so an ioctl the filter lets through fails with ENOTTY.
  ioctl_tiocsti_high_garbage: () => ({ ret: sys(nr("ioctl"), 0, 0xdead_beef_0000_0000n | BigInt(TIOCSTI), ptr(Buffer.from("x"))) }),
  ioctl_tiocgwinsz: () => ({ ret: sys(nr("ioctl"), 0, TIOCGWINSZ, ptr(Buffer.alloc(8))) }),
  keyctl: () => ({ ret: sys(nr("keyctl"), KEYCTL_GET_KEYRING_ID, -3, 0) }),
  clone3: () => ({ ret: sys(nr("clone3"), 0, 0) }),
  // Bun itself keeps working: timers, promises and its worker threads under the filter.
  runtime_alive: () => ({ ret: 0, sum: [1, 2, 3].reduce((a, b) => a + b, 0), now: Date.now() > 0 }),
};

const hex = process.env.ZOO_FILTER_HEX ?? "";
if (hex !== "") loadFilter(hex, Number(process.env.ZOO_FILTER_FLAGS ?? "1"));
for (const name of (process.env.ZOO_PROBES ?? "").split(",").filter(Boolean)) {
  const probe = probes[name];
  if (!probe) throw new Error(`unknown probe ${name}`);
  emit({ event: "before", probe: name });
  emit({ event: "result", probe: name, ...probe() });
}
emit({ event: "done" });
