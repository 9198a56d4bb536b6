import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AARCH64_DEFINES,
  GENERIC_HEADER,
  X86_64_HEADER,
  evalCondition,
  generateTables,
  parseGeneric,
} from "../../../scripts/gen-syscalls.ts";
import { AARCH64_SYSCALLS } from "../../../src/seccomp/tables/aarch64.ts";
import { X86_64_SYSCALLS } from "../../../src/seccomp/tables/x86_64.ts";

const root = join(import.meta.dir, "../../..");
const haveHeaders = existsSync(X86_64_HEADER) && existsSync(GENERIC_HEADER);

describe("generated syscall tables", () => {
  test.skipIf(!haveHeaders)("checked-in tables match this machine's kernel headers", () => {
    for (const f of generateTables(root)) {
      expect({ path: f.path, content: readFileSync(f.path, "utf8") }).toEqual({ path: f.path, content: f.content });
    }
  });

  test("tables say they are generated", () => {
    for (const name of ["x86_64", "aarch64"]) {
      expect(readFileSync(join(root, `src/seccomp/tables/${name}.ts`), "utf8")).toStartWith("// GENERATED FILE");
    }
  });

  test("x86_64 spot checks", () => {
    const want = { read: 0, write: 1, chmod: 90, fchmod: 91, ioctl: 16, clone: 56, unshare: 272, seccomp: 317, clone3: 435, fstat: 5, mmap: 9 };
    for (const [n, nr] of Object.entries(want)) expect([n, X86_64_SYSCALLS.get(n)]).toEqual([n, nr]);
  });

  test("aarch64 resolves __NR3264_ aliases to the 64-bit names and honours arm64's switches", () => {
    const want = {
      fstat: 80, newfstatat: 79, mmap: 222, fcntl: 25, lseek: 62, statfs: 43, truncate: 45, sendfile: 71, fadvise64: 223,
      renameat: 38, getrlimit: 163, setrlimit: 164, sync_file_range: 84, clone3: 435, memfd_secret: 447,
      io_getevents: 4, fchmodat: 53, unshare: 97, clone: 220, ioctl: 29,
    };
    for (const [n, nr] of Object.entries(want)) expect([n, AARCH64_SYSCALLS.get(n)]).toEqual([n, nr]);
    // 32-bit-only names, bookkeeping defines and absent legacy calls must not appear.
    for (const n of ["fcntl64", "mmap2", "fstat64", "llseek", "clock_gettime64", "sync_file_range2", "syscalls", "arch_specific_syscall", "open", "chmod", "fork"]) {
      expect([n, AARCH64_SYSCALLS.has(n)]).toEqual([n, false]);
    }
  });

  test("numbers are unique within each table", () => {
    for (const t of [X86_64_SYSCALLS, AARCH64_SYSCALLS]) expect(new Set(t.values()).size).toBe(t.size);
  });
});

describe("generic header preprocessor", () => {
  const defs = new Map([["__BITS_PER_LONG", "64"], ["__ARCH_WANT_A", "1"]]);
  test("conditions", () => {
    expect(evalCondition("__BITS_PER_LONG == 32 || defined(__SYSCALL_COMPAT)", defs)).toBe(false);
    expect(evalCondition("defined(__ARCH_WANT_A) || __BITS_PER_LONG != 32", defs)).toBe(true);
    expect(evalCondition("!(defined(__ARCH_WANT_A) && __BITS_PER_LONG == 64)", defs)).toBe(false);
    expect(evalCondition("defined __ARCH_WANT_A", defs)).toBe(true);
    expect(() => evalCondition("defined(", defs)).toThrow();
  });

  test("branches, aliases and entry-less defines", () => {
    const header = `
#define __SYSCALL(x, y)
#define __SC_3264(_nr, _32, _64) __SYSCALL(_nr, _64)
#define __NR_a 0
__SYSCALL(__NR_a, sys_a)
#ifdef __ARCH_WANT_B
#define __NR_b 1
__SYSCALL(__NR_b, sys_b)
#else
#define __NR_c 1
__SYSCALL(__NR_c, sys_c)
#endif
#define __NR3264_d 2 /* comment */
__SC_3264(__NR3264_d, sys_d32, \\
          sys_d)
#define __NR_base 100
#undef __NR_syscalls
#define __NR_syscalls 3
#if __BITS_PER_LONG == 64
#define __NR_d __NR3264_d
#else
#define __NR_d64 __NR3264_d
#endif
`;
    expect(parseGeneric(header, AARCH64_DEFINES)).toEqual([["a", 0], ["c", 1], ["d", 2]]);
  });

  test("unknown constructs fail loudly instead of producing a wrong table", () => {
    expect(() => parseGeneric("#define __NR_x 1\n__SYSCALL(__NR_x, s)\nsomething odd\n", AARCH64_DEFINES)).toThrow("unexpected line");
    expect(() => parseGeneric("#if 1\n", AARCH64_DEFINES)).toThrow("unterminated");
  });
});
