import { describe, expect, test } from "bun:test";
import { compileSeccomp } from "../../../src/seccomp/compile.ts";
import {
  CLONE_NEWUSER,
  S_ISGID,
  S_ISUID,
  TIOCSTI,
  ZOOKEEPER_ALWAYS_DENIED,
  zookeeperSeccompProfile,
} from "../../../src/seccomp/profiles/zookeeper.ts";
import type { TargetArch } from "../../../src/seccomp/types.ts";
import { runSeccompProgram } from "./interp.ts";
import { ARCH, RET, errno, expectedAction } from "./oracle.ts";

const EPERM = errno(1);
const ENOSYS = errno(38);
const HIGH_GARBAGE = 0xdead_beef_0000_0000n;

for (const arch of ["x86_64", "aarch64"] as TargetArch[]) {
  describe(`zookeeper profile on ${arch}`, () => {
    const profile = zookeeperSeccompProfile();
    const compiled = compileSeccomp(profile, { arch });
    const table = ARCH[arch].table;
    const call = (name: string, args: (bigint | number)[] = []) => {
      const nr = table.get(name);
      if (nr === undefined) throw new Error(`${name} missing on ${arch}`);
      const d = { nr, arch: ARCH[arch].audit, args: args.map(BigInt) };
      const got = runSeccompProgram(compiled.program, d).action;
      expect(got).toBe(expectedAction(profile, arch, d)); // the oracle agrees on every probe
      return got;
    };
    const has = (name: string) => table.has(name);

    test("size and skipped names", () => {
      expect(compiled.program.length).toBeLessThan(120);
      const expectedSkips = ["chmod", "fchmod", "fchmodat", "fchmodat2"].filter((n) => !has(n));
      expect(compiled.skippedNames).toEqual(expectedSkips);
    });

    test("chmod: setuid/setgid modes denied, others allowed (aarch64 has no chmod)", () => {
      if (!has("chmod")) {
        expect(compiled.skippedNames).toContain("chmod");
        return;
      }
      for (const mode of [0o4755, 0o2755, 0o6755, 0o4000, 0o2000, S_ISUID | 0xffff_0000, BigInt(0o4755) | HIGH_GARBAGE]) {
        expect(call("chmod", [0, mode])).toBe(EPERM);
      }
      for (const mode of [0o755, 0o1777, 0o644, 0, 0o777, BigInt(0o755) | HIGH_GARBAGE]) expect(call("chmod", [0, mode])).toBe(RET.ALLOW);
      expect(call("chmod", [0o4755, 0o755])).toBe(RET.ALLOW); // the bits only count in the mode slot
    });

    test("fchmod: same rule on arg1", () => {
      for (const mode of [0o4755, 0o2711, 0o6777]) expect(call("fchmod", [3, mode])).toBe(EPERM);
      for (const mode of [0o755, 0o1755]) expect(call("fchmod", [3, mode])).toBe(RET.ALLOW);
    });

    test("fchmodat: mode is arg2", () => {
      const AT_FDCWD = 0xffff_ff9cn;
      for (const mode of [0o4755, 0o2755, S_ISGID | S_ISUID]) expect(call("fchmodat", [AT_FDCWD, 0x1000, mode])).toBe(EPERM);
      expect(call("fchmodat", [AT_FDCWD, 0x1000, 0o755])).toBe(RET.ALLOW);
      expect(call("fchmodat", [AT_FDCWD, 0o4755, 0o755])).toBe(RET.ALLOW);
    });

    test("fchmodat2 cannot sidestep fchmodat", () => {
      const nr = table.get("fchmodat2") ?? 452; // same number on both arches
      const d = { nr, arch: ARCH[arch].audit, args: [0n, 0n, BigInt(0o4755), 0n] };
      const got = runSeccompProgram(compiled.program, d).action;
      // Denied by the rule when the table knows fchmodat2, else by the newer-syscall ENOSYS guard.
      expect(has("fchmodat2") ? got === EPERM : got === ENOSYS).toBe(true);
    });

    test("unshare and clone: CLONE_NEWUSER denied", () => {
      for (const name of ["unshare", "clone"]) {
        for (const flags of [CLONE_NEWUSER, CLONE_NEWUSER | 0x20000 /* NEWNS */, CLONE_NEWUSER | 0x11 /* SIGCHLD */, BigInt(CLONE_NEWUSER) | HIGH_GARBAGE]) {
          expect(call(name, [flags])).toBe(EPERM);
        }
        for (const flags of [0, 0x20000, 0x3d0f00 /* pthread_create */, 0x01200011 /* fork */, HIGH_GARBAGE]) expect(call(name, [flags])).toBe(RET.ALLOW);
      }
    });

    test("ioctl TIOCSTI denied, including with garbage in the high word", () => {
      expect(call("ioctl", [0, TIOCSTI])).toBe(EPERM);
      expect(call("ioctl", [5, BigInt(TIOCSTI) | HIGH_GARBAGE])).toBe(EPERM);
      expect(call("ioctl", [0, 0xffff_ffff_0000_5412n])).toBe(EPERM);
      for (const cmd of [0x5413 /* TIOCGWINSZ */, 0x5401 /* TCGETS */, 0x5412_0000, 0x1_5413n]) expect(call("ioctl", [0, cmd])).toBe(RET.ALLOW);
      expect(call("ioctl", [TIOCSTI, 0x5401])).toBe(RET.ALLOW);
    });

    test("always-denied syscalls, whatever the arguments", () => {
      for (const name of ZOOKEEPER_ALWAYS_DENIED) {
        expect(call(name)).toBe(EPERM);
        expect(call(name, [1, 2, 3, 4, 5, 6])).toBe(EPERM);
        expect(call(name, [HIGH_GARBAGE, 0xffff_ffff_ffff_ffffn])).toBe(EPERM);
      }
    });

    test("clone3 gets ENOSYS so libc falls back to clone", () => {
      expect(call("clone3", [0, 88])).toBe(ENOSYS);
    });

    test("everything else is allowed", () => {
      const denied = new Set<string>([...ZOOKEEPER_ALWAYS_DENIED, "clone3"]);
      for (const [name] of table) {
        if (denied.has(name)) continue;
        expect([name, call(name)]).toEqual([name, RET.ALLOW]); // zero args never hit a conditional rule
      }
    });

    test("foreign arch and x32 numbers", () => {
      expect(runSeccompProgram(compiled.program, { nr: 15, arch: 0x40000003 }).action).toBe(RET.KILL_PROCESS);
      if (arch === "x86_64") {
        const x32chmod = 0x40000000 | table.get("chmod")!;
        expect(runSeccompProgram(compiled.program, { nr: x32chmod, arch: ARCH.x86_64.audit, args: [0n, 0o4755n] }).action).toBe(ENOSYS);
      }
    });
  });
}
