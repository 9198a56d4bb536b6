// The load → open → attach → close sequence and its one-line errors, through
// a recording BpfOps. The real syscalls run in
// test/integration/cgroups/device-program.test.ts.
import { describe, expect, test } from "bun:test";
import { attachDeviceProgram } from "../../../../src/runtime/device-cgroup/attach.ts";
import type { BpfOps } from "../../../../src/runtime/device-cgroup/bpf-ops.ts";
import { restrictDevices } from "../../../../src/runtime/device-cgroup/apply.ts";
import { compileProgram } from "../../../../src/runtime/device-cgroup/program.ts";
import { containerRules } from "../../../../src/runtime/device-cgroup/rules.ts";
import { SyscallError } from "../../../../src/sys/libc.ts";

const prog = compileProgram({ defaultAllow: false, exceptions: [] });

function recorder(fail: Partial<Record<"load" | "loadWithLog" | "open" | "attach", number>> = {}, log = "") {
  const calls: string[] = [];
  const ops: BpfOps = {
    loadDeviceProgram(code, buf) {
      calls.push(buf ? "load+log" : `load ${code.length / 8}`);
      if (buf) {
        buf.set(new TextEncoder().encode(log));
        if (fail.loadWithLog) throw new SyscallError("bpf", fail.loadWithLog);
        return 11;
      }
      if (fail.load) throw new SyscallError("bpf", fail.load);
      return 10;
    },
    openCgroup(dir) {
      calls.push(`open ${dir}`);
      if (fail.open) throw Object.assign(new Error("x"), { errno: -fail.open });
      return 20;
    },
    attachDevice(cg, p) {
      calls.push(`attach ${cg} ${p}`);
      if (fail.attach) throw new SyscallError("bpf", fail.attach);
    },
    close(fd) {
      calls.push(`close ${fd}`);
    },
  };
  return { ops, calls };
}

describe("attachDeviceProgram", () => {
  test("loads, attaches to the directory's fd, closes both", () => {
    const r = recorder();
    attachDeviceProgram("/cg/c1", prog, r.ops);
    expect(r.calls).toEqual(["load 8", "open /cg/c1", "attach 20 10", "close 20", "close 10"]);
  });

  test("a refused load names the step and errno, and nothing else is done", () => {
    const r = recorder({ load: 1 });
    expect(() => attachDeviceProgram("/cg/c1", prog, r.ops)).toThrow(/^loading the device cgroup program: Operation not permitted$/);
    expect(r.calls).toEqual(["load 8"]);
  });

  test("EINVAL: the verifier's log is fetched and its last line quoted", () => {
    const r = recorder({ load: 22, loadWithLog: 22 }, "0: (b7) r0 = 2\n1: (95) exit\nAt program exit the register R0 has value (0x2; 0x0) should have been in [0, 1]\nprocessed 2 insns (limit 1000000) max_states_per_insn 0\n\0junk");
    expect(() => attachDeviceProgram("/cg/c1", prog, r.ops)).toThrow(
      "loading the device cgroup program: Invalid argument (verifier: At program exit the register R0 has value (0x2; 0x0) should have been in [0, 1])",
    );
    expect(r.calls).toEqual(["load 8", "load+log"]);
  });

  test("a failed attach still closes both fds; a failed open closes the program", () => {
    const a = recorder({ attach: 1 });
    expect(() => attachDeviceProgram("/cg/c1", prog, a.ops)).toThrow(/^attaching the device cgroup program to \/cg\/c1: Operation not permitted$/);
    expect(a.calls).toEqual(["load 8", "open /cg/c1", "attach 20 10", "close 20", "close 10"]);
    const o = recorder({ open: 2 });
    expect(() => attachDeviceProgram("/cg/c1", prog, o.ops)).toThrow(/^opening the cgroup \/cg\/c1: No such file or directory$/);
    expect(o.calls).toEqual(["load 8", "open /cg/c1", "close 10"]);
  });
});

describe("restrictDevices: which hierarchy enforces", () => {
  const rules = containerRules([], []);
  const v2 = { version: 2 as const, controllers: ["memory"], mountPoint: "/sys/fs/cgroup", dir: "/sys/fs/cgroup/c1" };
  test("cgroup v2 only: the program goes to the v2 directory", () => {
    const r = recorder();
    expect(restrictDevices([v2], rules, { ops: r.ops, privileged: true })).toBe("v2");
    expect(r.calls[1]).toBe("open /sys/fs/cgroup/c1");
  });
  test("no cgroup of its own, or rootless on v2: nothing is done", () => {
    const r = recorder();
    expect(restrictDevices([], rules, { ops: r.ops, privileged: true })).toBe(null);
    expect(restrictDevices([v2], rules, { ops: r.ops, privileged: false })).toBe(null);
    expect(r.calls).toEqual([]);
  });
});
