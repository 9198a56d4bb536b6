// config.json validation: what zoo runs passes, everything else is one line naming field and value.
import { describe, expect, test } from "bun:test";
import { defaultSpec, specCommandConfig } from "../../../src/oci/default-spec.ts";
import { validateConfig } from "../../../src/oci/validate.ts";
import { checkId } from "../../../src/runtime/oci/store.ts";
import { cgroupPlacement } from "../../../src/runtime/oci/create.ts";
import { containerRules } from "../../../src/runtime/device-cgroup/rules.ts";
import { v1Writes } from "../../../src/runtime/device-cgroup/v1.ts";

const deviceWrites = (rules: Parameters<typeof containerRules>[0], nodes: Parameters<typeof containerRules>[1]) => v1Writes(containerRules(rules, nodes));
import type { Spec } from "../../../src/oci/spec.ts";

const ctx = { bundle: "/bundles/b1", rlimitCeiling: (t: string) => (t === "RLIMIT_NOFILE" ? 524288n : null) };
const base = () => JSON.parse(JSON.stringify(defaultSpec({ rootless: false, uid: 0, gid: 0 }))) as Spec & Record<string, unknown>;
const check = (edit: (s: any) => void) => {
  const s = base();
  edit(s);
  return () => validateConfig(s, ctx);
};

describe("validateConfig", () => {
  test("the default spec passes; root.path is resolved against the bundle", () => {
    const s = validateConfig(base(), ctx);
    expect(s.root?.path).toBe("/bundles/b1/rootfs");
    expect(validateConfig({ ...base(), root: { path: "/abs/root" } }, ctx).root?.path).toBe("/abs/root");
  });

  test("unsupported features are refused by name", () => {
    expect(check((s) => (s.process.terminal = "yes"))).toThrow('process.terminal: must be true or false, got "yes"');
    expect(check((s) => (s.hooks = { prestart: [{ path: "bin/true" }] }))).toThrow('hooks.prestart[0].path: must be an absolute path, got "bin/true"');
    expect(check((s) => (s.hooks = { poststop: [{ path: "/bin/true", timeout: 1.5 }] }))).toThrow("hooks.poststop[0].timeout: must be a whole number of seconds above 0");
    expect(check((s) => (s.hooks = { onStart: [{ path: "/bin/true" }] }))).toThrow("hooks.onStart: unknown hook type");
    expect(validateConfig({ ...base(), hooks: { createRuntime: [{ path: "/bin/true", args: ["true"], timeout: 3 }], onStart: [] } }, ctx).hooks?.createRuntime?.length).toBe(1);
    expect(check((s) => (s.linux.sysctl = { "vm.swappiness": "1" }))).toThrow('linux.sysctl["vm.swappiness"]: is not allowed');
    expect(check((s) => (s.linux.sysctl = { "net.ipv4/../../x": "1" }))).toThrow("is not a sysctl name");
    expect(check((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "network"), (s.linux.sysctl = { "net.ipv4.ip_forward": "1" })))).toThrow("is not allowed");
    expect(validateConfig({ ...base(), linux: { ...base().linux, sysctl: { "net.ipv4.ping_group_range": "0 0", "kernel.shmmax": "1" } } }, ctx).linux?.sysctl).toEqual({ "net.ipv4.ping_group_range": "0 0", "kernel.shmmax": "1" });
    expect(check((s) => (s.linux.resources = { memoryPolicy: {} }))).toThrow("linux.resources.memoryPolicy: is not supported");
    expect(check((s) => (s.linux.cgroupsPath = "system.slice:zoo:c1"))).toThrow('"system.slice:zoo:c1" looks like a systemd slice:prefix:name path; pass --systemd-cgroup');
  });

  test("--systemd-cgroup: cgroupsPath is slice:prefix:name, and only then", () => {
    const sd = (cp: string) => () => validateConfig({ ...base(), linux: { ...base().linux, cgroupsPath: cp } }, { ...ctx, systemdCgroup: true });
    expect(sd("zoo.slice:zoo:c1")().linux?.cgroupsPath).toBe("zoo.slice:zoo:c1");
    expect(sd(":zoo:c1")).not.toThrow();
    expect(sd("/zoo/c1")).toThrow('linux.cgroupsPath: "/zoo/c1": with --systemd-cgroup it must be "slice:prefix:name"');
  });

  test("refused fields name themselves", () => {
    expect(check((s) => (s.linux.personality = { domain: "LINUX32" }))).not.toThrow();
    expect(check((s) => (s.linux.personality = { domain: "PER_BSD" }))).toThrow('linux.personality: {"domain":"PER_BSD"}: domain must be "LINUX" or "LINUX32"');
    expect(check((s) => (s.linux.personality = { domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"] }))).toThrow("linux.personality.flags: [\"ADDR_NO_RANDOMIZE\"]: personality flags are not supported; remove them");
    expect(check((s) => (s.linux.timeOffsets = { monotonic: { secs: 1 } }))).toThrow('linux.timeOffsets: needs a time namespace: add {"type": "time"} to linux.namespaces');
    const timeNs = (offsets: unknown) => check((s) => (s.linux.namespaces.push({ type: "time" }), (s.linux.timeOffsets = offsets)));
    expect(timeNs({ monotonic: { secs: -1 }, boottime: { secs: 86400, nanosecs: 999_999_999 } })).not.toThrow();
    expect(timeNs({ boottime: { secs: 2 ** 60 } })).toThrow("linux.timeOffsets.boottime.secs: must be an integer from -9223372036 to 9223372036");
    expect(timeNs({ monotonic: { nanosecs: -1 } })).toThrow("linux.timeOffsets.monotonic.nanosecs: must be an integer 0..999999999, got -1");
    expect(timeNs({ realtime: { secs: 1 } })).toThrow('linux.timeOffsets.realtime: only "monotonic" and "boottime" clocks have offsets');
    expect(timeNs([])).toThrow("linux.timeOffsets: must be an object");
    expect(check((s) => (s.linux.intelRdt = { closID: "x" }))).toThrow("linux.intelRdt: Intel RDT (resctrl) is not supported; remove it");
    // Fields from newer specs are refused by name, not dropped.
    expect(check((s) => (s.linux.memoryPolicy = { mode: "MPOL_BIND" }))).toThrow("linux.memoryPolicy: is not supported; remove it");
    expect(check((s) => (s.process.scheduler = { policy: "SCHED_FIFO" }))).toThrow("process.scheduler: is not supported; remove it");
    expect(check((s) => (s.process.ioPriority = { class: "IOPRIO_CLASS_RT" }))).toThrow("process.ioPriority: is not supported; remove it");
  });

  test("oomScoreAdj and rootfsPropagation are taken when valid", () => {
    expect(validateConfig({ ...base(), process: { ...base().process!, oomScoreAdj: -17 } }, ctx).process?.oomScoreAdj).toBe(-17);
    expect(check((s) => (s.process.oomScoreAdj = 1001))).toThrow("process.oomScoreAdj: must be an integer from -1000 to 1000, got 1001");
    for (const p of ["private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"]) {
      expect(validateConfig({ ...base(), linux: { ...base().linux, rootfsPropagation: p } }, ctx).linux?.rootfsPropagation).toBe(p);
    }
    expect(check((s) => (s.linux.rootfsPropagation = "sideways"))).toThrow('linux.rootfsPropagation: "sideways": want one of private, rprivate');
  });

  test("wrong values name the field and the value", () => {
    expect(check((s) => (s.ociVersion = "0.9"))).toThrow('ociVersion: must be a 1.x.y version string, got "0.9"');
    expect(check((s) => (s.process.args = []))).toThrow("process.args: must name a command");
    expect(check((s) => (s.process.cwd = "relative"))).toThrow('process.cwd: must be an absolute path, got "relative"');
    expect(check((s) => (s.process.user.uid = -1))).toThrow("process.user.uid: must be an integer 0..4294967295, got -1");
    expect(check((s) => (s.mounts[0].destination = "proc"))).toThrow('mounts[0].destination: must be an absolute path, got "proc"');
    expect(check((s) => s.linux.namespaces.push({ type: "bogus" }))).toThrow('linux.namespaces[5].type: unknown namespace type "bogus"');
    expect(check((s) => s.linux.namespaces.push({ type: "pid" }))).toThrow('linux.namespaces[5].type: "pid" is listed twice');
    expect(check((s) => (s.process.capabilities.bounding = ["CAP_FLY"]))).toThrow('process.capabilities.bounding: unknown capability "CAP_FLY"');
    // As runc: an ambient capability that cannot be raised is left out, not refused (`runc spec` writes such configs).
    expect(check((s) => (s.process.capabilities.ambient = ["CAP_KILL"]))).not.toThrow();
    expect(check((s) => (s.mounts = s.mounts.filter((m: any) => m.destination !== "/proc")))).toThrow("mounts: zoo-runtime needs a /proc mount");
    expect(check((s) => (s.linux.cgroupsPath = "a/../b"))).toThrow('linux.cgroupsPath: "a/../b" must not contain');
  });

  test("namespaces: mount is required, mappings need a new user namespace and vice versa", () => {
    expect(check((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== "mount")))).toThrow("a root filesystem needs a mount namespace");
    expect(check((s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]))).toThrow("linux.uidMappings: needs a new user namespace");
    expect(check((s) => s.linux.namespaces.push({ type: "user" }))).toThrow("linux.uidMappings: a new user namespace needs uid mappings");
  });

  test("rlimits: known type, soft <= hard, hard within the host's ceiling", () => {
    expect(check((s) => (s.process.rlimits = [{ type: "RLIMIT_BOGUS", soft: 1, hard: 1 }]))).toThrow('process.rlimits[0].type: unknown rlimit "RLIMIT_BOGUS"');
    expect(check((s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 10, hard: 5 }]))).toThrow("RLIMIT_NOFILE soft limit 10 is above its hard limit 5");
    expect(check((s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 1048576 }]))).toThrow(
      "process.rlimits[0]: RLIMIT_NOFILE hard limit 1048576 is above this host's hard limit 524288, and raising it needs CAP_SYS_RESOURCE",
    );
    expect(check((s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 524288 }]))).not.toThrow();
    // No ceiling: this process may raise it.
    expect(check((s) => (s.process.rlimits = [{ type: "RLIMIT_CORE", soft: 0, hard: 1e12 }]))).not.toThrow();
  });

  test("linux.resources: every field's shape and range before anything exists, one line naming it", () => {
    const res = (r: object) => () => validateConfig({ ...base(), linux: { ...base().linux, resources: r } }, ctx);
    const all = {
      blockIO: { weight: 500, weightDevice: [{ major: 254, minor: 0, weight: 100 }], throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 10 }] },
      hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }],
      network: { classID: 0x100001, priorities: [{ name: "eth0", priority: 5 }] },
      rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 100 } },
      unified: { "hugetlb.2MB.max": "0" },
      memory: { kernel: -1, disableOOMKiller: false },
      cpu: { realtimePeriod: 1_000_000, realtimeRuntime: 0, idle: 0 },
    };
    expect(res(all)().linux?.resources).toEqual(all);
    expect(res({ blockIO: { weight: 5 } })).toThrow("linux.resources: blockIO.weight must be 10..1000 (or 0 for unset), got 5");
    expect(res({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] } })).toThrow("linux.resources: blockIO.throttleReadBpsDevice[0].rate must be 0 (no limit) or a positive rate per second, got -1");
    expect(res({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0 }] } })).toThrow("blockIO.throttleReadBpsDevice[0].rate is missing");
    expect(res({ hugepageLimits: [{ pageSize: "2M", limit: 1 }] })).toThrow('linux.resources: hugepageLimits[0].pageSize must be a size like "2MB" or "1GB", got "2M"');
    expect(res({ hugepageLimits: [{ pageSize: "2MB", limit: -1 }] })).toThrow("hugepageLimits[0].limit must be a byte count (0 or more), got -1");
    expect(res({ network: { priorities: [{ name: "a/b", priority: 1 }] } })).toThrow('network.priorities[0].name must be a network interface name, got "a/b"');
    expect(res({ rdma: { mlx: { hcaHandles: -2 } } })).toThrow('rdma["mlx"].hcaHandles must be an integer 0..4294967295, got -2');
    expect(res({ rdma: { mlx: null } })).toThrow('rdma["mlx"] must be an object like {"hcaHandles": 2}, got null');
    expect(res({ blockIO: null, network: null, hugepageLimits: null })().linux?.resources).toEqual({ blockIO: null, network: null, hugepageLimits: null } as never);
    expect(res({ unified: { "../memory.max": "1" } })).toThrow('unified["../memory.max"]: not a cgroup v2 file name');
    expect(res({ unified: { "cgroup.procs": "1" } })).toThrow('unified["cgroup.procs"]: zoo-runtime manages this file itself; remove it');
    expect(res({ unified: { "pids.max": 5 } })).toThrow('unified["pids.max"] must be a string, got 5');
    expect(res({ memory: { disableOOMKiller: "yes" } })).toThrow('memory.disableOOMKiller must be true or false, got "yes"');
    expect(res({ cpu: { realtimePeriod: 1000, realtimeRuntime: 2000 } })).toThrow("cpu.realtimeRuntime (2000) must not exceed cpu.realtimePeriod (1000)");
    expect(res({ cpu: { idle: 2 } })).toThrow("linux.resources: cpu.idle must be 0 or 1, got 2");
  });

  test("resources.devices is kept for the devices cgroup", () => {
    const s = validateConfig({ ...base(), linux: { ...base().linux, resources: { devices: [{ allow: false, access: "rwm" }], pids: { limit: 5 } } } }, ctx);
    expect(s.linux?.resources).toEqual({ devices: [{ allow: false, access: "rwm" }], pids: { limit: 5 } });
  });
});

describe("devices cgroup rules (runc's order)", () => {
  test("the config's rules, then the container's device nodes, then runc's defaults", () => {
    const w = deviceWrites([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 4, minor: -1, access: "rw" }], [
      { type: "c", path: "/dev/fuse", major: 10, minor: 229 },
      { type: "p", path: "/dev/fifo" },
    ]);
    expect(w.slice(0, 5)).toEqual([
      ["devices.deny", "a *:* rwm"],
      ["devices.allow", "c 4:* rw"],
      ["devices.allow", "c 10:229 rwm"],
      ["devices.allow", "c *:* m"],
      ["devices.allow", "b *:* m"],
    ]);
    expect(w.map(([, l]) => l)).toContain("c 136:* rwm");
    expect(w.map(([, l]) => l)).toContain("c 1:3 rwm");
  });
  test("without a leading 'a' rule the list starts from deny-all, as runc's does", () => {
    expect(deviceWrites([], [])[0]).toEqual(["devices.deny", "a *:* rwm"]);
    expect(deviceWrites([{ allow: true, type: "c", major: 4, access: "r" }], []).slice(0, 2)).toEqual([
      ["devices.deny", "a *:* rwm"],
      ["devices.allow", "c 4:* r"],
    ]);
    expect(deviceWrites([{ allow: true, access: "rwm" }], [])[0]).toEqual(["devices.allow", "a *:* rwm"]);
  });
  test("bad rules name the field", () => {
    expect(() => deviceWrites([{ allow: true, type: "x" }], [])).toThrow('linux.resources.devices[0].type: "x": want a, b or c');
    expect(() => deviceWrites([{ allow: true, access: "rwx" }], [])).toThrow('linux.resources.devices[0].access: "rwx": want letters of rwm');
    expect(() => deviceWrites([{ allow: true, type: "c", major: 2 ** 31 }], [])).toThrow("linux.resources.devices[0].major: 2147483648: want a whole number up to 2147483647, or -1 for any");
  });
});

describe("ids and cgroup placement", () => {
  test("ids are runc's [A-Za-z0-9_+.-]+", () => {
    expect(() => checkId("ok-id_1.2+x")).not.toThrow();
    for (const bad of ["", "a/b", "..", "a b", "x\n"]) expect(() => checkId(bad)).toThrow("invalid container ID format");
  });
  test("cgroupsPath: last component names the cgroup, the rest is its parent", () => {
    const withPath = (p?: string) => cgroupPlacement({ ...base(), linux: { cgroupsPath: p } } as Spec, "c1");
    expect(withPath(undefined)).toEqual({ name: "zoo-c1" });
    expect(withPath("mine")).toEqual({ name: "mine", parent: undefined });
    expect(withPath("a/b/mine")).toEqual({ name: "mine", parent: "a/b" });
    expect(withPath("/machine/mine")).toEqual({ name: "mine", parent: "/machine" });
  });
});

test("zoo-runtime spec: runc's config plus the default seccomp profile and Docker's masked paths, and it validates", () => {
  const s = specCommandConfig({ rootless: false, uid: 0, gid: 0 });
  expect(s.process!.capabilities!.bounding).toEqual(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
  expect(s.linux!.seccomp).toMatchObject({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1 });
  expect(JSON.stringify(s.linux!.seccomp)).not.toContain('"unshare"'); // CAP_SYS_ADMIN-gated, and absent here
  expect(s.linux!.maskedPaths).toContain("/sys/devices/virtual/powercap");
  expect(() => validateConfig(JSON.parse(JSON.stringify(s)), ctx as never)).not.toThrow();
});

test("each defaultSpec has its own capability lists (a caller's edit does not reach the next spec)", () => {
  const a = defaultSpec({ rootless: false, uid: 0, gid: 0 });
  a.process!.capabilities!.bounding!.push("CAP_SYS_NICE");
  a.process!.capabilities!.effective!.push("CAP_SYS_NICE");
  const b = defaultSpec({ rootless: false, uid: 0, gid: 0 });
  expect(b.process!.capabilities!.bounding).not.toContain("CAP_SYS_NICE");
  expect(b.process!.capabilities!.effective).not.toContain("CAP_SYS_NICE");
  expect(b.process!.capabilities!.permitted).not.toContain("CAP_SYS_NICE");
});
