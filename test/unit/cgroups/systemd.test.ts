// The systemd cgroup manager's pure decisions; the D-Bus calls themselves run in the VM (test/integration/cgroups/systemd.test.ts).
import { describe, expect, test } from "bun:test";
import { busAddress, chooseManager, parseSystemdCgroupsPath, scopeProperties } from "../../../src/cgroups/systemd/unit.ts";
import { CgroupConfigError } from "../../../src/cgroups/errors.ts";
import { Writer } from "../../../src/sys/dbus/wire.ts";

describe("chooseManager", () => {
  test("the flag beats the environment, which beats the host's init", () => {
    expect(chooseManager({ flag: "cgroupfs", env: { ZOO_CGROUP_MANAGER: "systemd" }, systemdBooted: true })).toBe("cgroupfs");
    expect(chooseManager({ env: { ZOO_CGROUP_MANAGER: "cgroupfs" }, systemdBooted: true })).toBe("cgroupfs");
    expect(chooseManager({ env: { ZOO_CGROUP_MANAGER: "systemd" }, systemdBooted: false })).toBe("systemd");
  });
  test("default: systemd where it runs the machine, cgroupfs elsewhere or with an explicit cgroupfs parent", () => {
    expect(chooseManager({ env: {}, systemdBooted: true })).toBe("systemd");
    expect(chooseManager({ env: {}, systemdBooted: false })).toBe("cgroupfs");
    expect(chooseManager({ env: { ZOO_CGROUP_PARENT: "/zoo" }, systemdBooted: true })).toBe("cgroupfs");
  });
  test("a bad value names the variable", () => {
    expect(() => chooseManager({ env: { ZOO_CGROUP_MANAGER: "sysd" }, systemdBooted: true })).toThrow('ZOO_CGROUP_MANAGER "sysd": want cgroupfs or systemd');
  });
});

describe("busAddress", () => {
  test("root asks the system bus, users their session bus", () => {
    expect(busAddress(0, {})).toBe("unix:path=/run/dbus/system_bus_socket");
    expect(busAddress(0, { DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/x" })).toBe("unix:path=/x");
    expect(busAddress(1000, {})).toBe("unix:path=/run/user/1000/bus");
    expect(busAddress(1000, { XDG_RUNTIME_DIR: "/run/user/7" })).toBe("unix:path=/run/user/7/bus");
    expect(busAddress(1000, { DBUS_SESSION_BUS_ADDRESS: "unix:path=/s", XDG_RUNTIME_DIR: "/r" })).toBe("unix:path=/s");
  });
});

describe("parseSystemdCgroupsPath (runc's slice:prefix:name)", () => {
  test("prefix-name.scope in the slice; an empty slice is the default one", () => {
    expect(parseSystemdCgroupsPath("machine.slice:libpod:abc", "id", false)).toEqual({ slice: "machine.slice", unit: "libpod-abc.scope" });
    expect(parseSystemdCgroupsPath(":zoo:abc", "id", false)).toEqual({ slice: "zoo.slice", unit: "zoo-abc.scope" });
    expect(parseSystemdCgroupsPath(":zoo:abc", "id", true)).toEqual({ slice: undefined, unit: "zoo-abc.scope" });
    expect(parseSystemdCgroupsPath("a.slice::abc", "id", false)).toEqual({ slice: "a.slice", unit: "abc.scope" });
    expect(parseSystemdCgroupsPath("a.slice:x:given.scope", "id", false)).toEqual({ slice: "a.slice", unit: "given.scope" });
  });
  test("no cgroupsPath: zoo.slice:zoo:<id>", () => {
    expect(parseSystemdCgroupsPath(undefined, "c1", false)).toEqual({ slice: "zoo.slice", unit: "zoo-c1.scope" });
  });
  test("anything else is refused with the expected shape", () => {
    expect(() => parseSystemdCgroupsPath("/a/b", "id", false)).toThrow('with --systemd-cgroup it must be "slice:prefix:name"');
    expect(() => parseSystemdCgroupsPath("a.slice:p:", "id", false)).toThrow("the name part is empty");
    expect(() => parseSystemdCgroupsPath("a:p:n", "id", false)).toThrow(CgroupConfigError);
    expect(() => parseSystemdCgroupsPath("a.slice:p/q:n", "id", false)).toThrow("invalid systemd unit name");
  });
});

test("scopeProperties: the pid, delegation, garbage collection, the slice only when given", () => {
  const p = scopeProperties({ unit: "zookeeper-42.scope", pid: 42, description: "d", slice: "zoo.slice" });
  expect(p).toEqual([
    ["Description", { sig: "s", value: "d" }],
    ["PIDs", { sig: "au", value: [42] }],
    ["Delegate", { sig: "b", value: true }],
    ["CollectMode", { sig: "s", value: "inactive-or-failed" }],
    ["Slice", { sig: "s", value: "zoo.slice" }],
  ]);
  expect(scopeProperties({ unit: "u.scope", pid: 1, description: "d" }).map(([k]) => k)).not.toContain("Slice");
  // Must marshal as a(sv), the StartTransientUnit argument type.
  expect(() => new Writer().write("a(sv)", p)).not.toThrow();
});
