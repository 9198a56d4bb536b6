import { describe, expect, test } from "bun:test";
import { compileSeccomp } from "../../../src/seccomp/compile.ts";
import { ALLOWED_PERSONALITIES, CLONE_NAMESPACE_FLAGS, defaultProfileFor } from "../../../src/seccomp/profiles/default.ts";
import { DEFAULT_CAPS } from "../../../src/engine/defaults.ts";
import { ALL_CAPS } from "../../../src/oci/caps.ts";
import type { TargetArch } from "../../../src/seccomp/types.ts";
import { runSeccompProgram } from "../seccomp/interp.ts";
import { ARCH, RET, errno, expectedAction } from "../seccomp/oracle.ts";

const EPERM = errno(1);
const ENOSYS = errno(38);
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x20000;
const THREAD_FLAGS = 0x3d0f00; // what pthread_create passes

for (const arch of ["x86_64", "aarch64"] as TargetArch[]) {
  describe(`default profile on ${arch}`, () => {
    const table = ARCH[arch].table;
    const filter = (caps: readonly string[]) => {
      const profile = defaultProfileFor(caps, arch);
      const compiled = compileSeccomp(profile, { arch });
      let maxSteps = 0;
      const call = (name: string, args: (bigint | number)[] = []) => {
        const nr = table.get(name);
        if (nr === undefined) throw new Error(`${name} missing on ${arch}`);
        const d = { nr, arch: ARCH[arch].audit, args: args.map(BigInt) };
        const r = runSeccompProgram(compiled.program, d);
        maxSteps = Math.max(maxSteps, r.steps);
        expect(r.action).toBe(expectedAction(profile, arch, d));
        return r.action;
      };
      return { compiled, call, maxSteps: () => maxSteps };
    };
    const dflt = filter(DEFAULT_CAPS);

    test("size and lookup depth stay small", () => {
      // Well under BPF_MAXINSNS (4096); most of it is the mknod allow-list.
      expect(dflt.compiled.program.length).toBeLessThan(400);
      for (const name of table.keys()) if (!name.startsWith("mknod")) dflt.call(name, [0, 0, 0]);
      // A balanced search: every syscall is decided in a few dozen instructions, not hundreds.
      expect(dflt.maxSteps()).toBeLessThan(30);
      // mknod walks its argument rules in order; still bounded.
      dflt.call("mknodat", [0, 0, 0o020000, 0xffff]);
      expect(dflt.maxSteps()).toBeLessThan(120);
      const all = filter(ALL_CAPS);
      expect(all.compiled.program.length).toBeLessThan(dflt.compiled.program.length);
    });

    test("everyday syscalls are allowed, anything unlisted is EPERM", () => {
      for (const n of ["read", "write", "openat", "execve", "futex", "mmap", "exit_group", "getpid", "wait4", "socket"]) {
        expect(dflt.call(n, [2, 1, 0])).toBe(RET.ALLOW);
      }
      for (const n of ["mount", "umount2", "reboot", "init_module", "finit_module", "delete_module", "ptrace", "keyctl", "add_key",
        "request_key", "setns", "pivot_root", "kexec_load", "swapon", "open_by_handle_at", "bpf", "perf_event_open",
        "io_uring_setup", "io_uring_enter", "io_uring_register"]) {
        expect(dflt.call(n)).toBe(EPERM);
      }
    });

    test("clone: threads and forks yes, namespace flags no; clone3 ENOSYS; unshare refused", () => {
      expect(dflt.call("clone", [THREAD_FLAGS])).toBe(RET.ALLOW);
      expect(dflt.call("clone", [17])).toBe(RET.ALLOW);
      for (const f of [CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWUSER | 17, CLONE_NAMESPACE_FLAGS]) expect(dflt.call("clone", [f])).toBe(EPERM);
      expect(dflt.call("clone3")).toBe(ENOSYS);
      expect(dflt.call("unshare", [CLONE_NEWUSER])).toBe(EPERM);
      expect(dflt.call("unshare", [0x400])).toBe(EPERM);
    });

    test("mknod: files, fifos, sockets and Docker's character devices only", () => {
      const S_IFBLK = 0o060000, S_IFCHR = 0o020000;
      const dev = (ma: number, mi: number) => (ma << 8) | mi;
      for (const mode of [0o100644, 0o010644, 0o140755, 0o644]) expect(dflt.call("mknodat", [-100, 0, mode, 0])).toBe(RET.ALLOW);
      for (const [ma, mi] of [[1, 3], [1, 5], [1, 9], [5, 2], [136, 4], [10, 200]]) {
        expect(dflt.call("mknodat", [-100, 0, S_IFCHR | 0o666, dev(ma!, mi!)])).toBe(RET.ALLOW);
      }
      for (const [ma, mi] of [[1, 1] /* mem */, [1, 11] /* kmsg */, [4, 1] /* tty1 */, [10, 232] /* kvm */, [1, 4] /* port */]) {
        expect(dflt.call("mknodat", [-100, 0, S_IFCHR | 0o666, dev(ma!, mi!)])).toBe(EPERM);
      }
      for (const [ma, mi] of [[254, 0], [7, 0], [8, 0], [1, 3]]) expect(dflt.call("mknodat", [-100, 0, S_IFBLK | 0o600, dev(ma!, mi!)])).toBe(EPERM);
      // Garbage in the upper half of the 32-bit args must not change the answer.
      expect(dflt.call("mknodat", [-100, 0, (0xffn << 32n) | BigInt(S_IFBLK), dev(7, 0)])).toBe(EPERM);
      expect(dflt.call("mknodat", [-100, 0, (0xffn << 32n) | BigInt(S_IFCHR), (0xffn << 32n) | BigInt(dev(1, 3))])).toBe(RET.ALLOW);
      if (table.has("mknod")) {
        expect(dflt.call("mknod", [0, S_IFBLK, dev(7, 0)])).toBe(EPERM);
        expect(dflt.call("mknod", [0, S_IFCHR, dev(1, 3)])).toBe(RET.ALLOW);
        expect(dflt.call("mknod", [0, 0o010600, 0])).toBe(RET.ALLOW);
      }
    });

    test("personality: only Docker's values", () => {
      for (const v of ALLOWED_PERSONALITIES) expect(dflt.call("personality", [v])).toBe(RET.ALLOW);
      for (const v of [0x0040000 /* ADDR_NO_RANDOMIZE */, 0x1, 0x8000000]) expect(dflt.call("personality", [v])).toBe(EPERM);
    });

    test("AF_VSOCK sockets are refused", () => {
      expect(dflt.call("socket", [40, 1, 0])).toBe(EPERM);
      expect(dflt.call("socket", [10, 1, 0])).toBe(RET.ALLOW);
    });

    test("capabilities unlock their syscalls", () => {
      const gates: [string, string[]][] = [
        ["CAP_SYS_ADMIN", ["mount", "umount2", "unshare", "setns", "sethostname"]],
        ["CAP_SYS_PTRACE", ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp"]],
        ["CAP_SYS_MODULE", ["init_module", "finit_module", "delete_module"]],
        ["CAP_SYS_BOOT", ["reboot"]],
        ["CAP_SYS_TIME", ["settimeofday", "clock_settime"]],
        ["CAP_SYS_CHROOT", ["chroot"]],
        ["CAP_SYS_NICE", ["mbind", "set_mempolicy"]],
        ["CAP_BPF", ["bpf"]],
        ["CAP_PERFMON", ["perf_event_open"]],
        ["CAP_DAC_READ_SEARCH", ["open_by_handle_at"]],
        ["CAP_SYS_PACCT", ["acct"]],
      ];
      for (const [cap, names] of gates) {
        const without = filter(DEFAULT_CAPS.filter((c) => c !== cap));
        const withCap = filter([...DEFAULT_CAPS.filter((c) => c !== cap), cap]);
        for (const n of names) {
          expect([cap, n, without.call(n)]).toEqual([cap, n, EPERM]);
          expect([cap, n, withCap.call(n)]).toEqual([cap, n, RET.ALLOW]);
        }
      }
      // CAP_SYS_CHROOT is one of Docker's defaults.
      expect(dflt.call("chroot")).toBe(RET.ALLOW);
    });

    test("CAP_SYS_ADMIN lifts the clone and clone3 restrictions", () => {
      const admin = filter([...DEFAULT_CAPS, "CAP_SYS_ADMIN"]);
      expect(admin.call("clone", [CLONE_NEWUSER])).toBe(RET.ALLOW);
      expect(admin.call("clone3")).toBe(RET.ALLOW);
      expect(admin.call("unshare", [CLONE_NEWUSER])).toBe(RET.ALLOW);
    });

    test("arch-only syscalls follow the arch", () => {
      if (arch === "x86_64") expect(dflt.call("arch_prctl")).toBe(RET.ALLOW);
      else expect(table.has("arch_prctl")).toBe(false);
    });
  });
}
