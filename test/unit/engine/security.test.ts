import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseRunArgs } from "../../../src/cli/zoo/run.ts";
import { DEFAULT_CAPS, DEFAULT_MASKED_PATHS, defaultMounts } from "../../../src/engine/defaults.ts";
import { normalizeCap, ownBoundingSet, resolveCaps, resolveSecurity } from "../../../src/engine/security.ts";
import { ALL_CAPS } from "../../../src/oci/caps.ts";
import { resolveDockerProfile } from "../../../src/seccomp/profiles/docker-file.ts";

const none = { capAdd: [], capDrop: [], privileged: false };
const NO_RESOURCE = ALL_CAPS.filter((c) => c !== "CAP_SYS_RESOURCE");

describe("capabilities", () => {
  test("names: with or without CAP_, any case; ALL; unknown names refused", () => {
    expect(normalizeCap("net_admin", "--cap-add")).toBe("CAP_NET_ADMIN");
    expect(normalizeCap("CAP_Sys_Admin", "--cap-add")).toBe("CAP_SYS_ADMIN");
    expect(normalizeCap("all", "--cap-drop")).toBe("ALL");
    expect(() => normalizeCap("FLY", "--cap-add")).toThrow(/--cap-add "FLY": unknown capability/);
  });

  test("Docker's rules for add/drop/ALL", () => {
    expect(resolveCaps(none, ALL_CAPS)).toEqual([...DEFAULT_CAPS].sort((a, b) => ALL_CAPS.indexOf(a) - ALL_CAPS.indexOf(b)));
    expect(resolveCaps({ ...none, capDrop: ["ALL"], capAdd: ["chown"] }, ALL_CAPS)).toEqual(["CAP_CHOWN"]);
    expect(resolveCaps({ ...none, capAdd: ["ALL"], capDrop: ["SYS_ADMIN"] }, ALL_CAPS)).toEqual(ALL_CAPS.filter((c) => c !== "CAP_SYS_ADMIN"));
    const r = resolveCaps({ ...none, capAdd: ["SYS_PTRACE"], capDrop: ["NET_RAW", "mknod"] }, ALL_CAPS);
    expect(r).toContain("CAP_SYS_PTRACE");
    expect(r).not.toContain("CAP_NET_RAW");
    expect(r).not.toContain("CAP_MKNOD");
    expect(r).toHaveLength(DEFAULT_CAPS.length - 1);
  });

  test("never more than zoo holds: --privileged takes what there is, an explicit add of a missing cap is refused", () => {
    expect(resolveCaps({ ...none, privileged: true }, NO_RESOURCE)).toEqual(NO_RESOURCE);
    expect(() => resolveCaps({ ...none, capAdd: ["SYS_RESOURCE"] }, NO_RESOURCE)).toThrow(/does not hold CAP_SYS_RESOURCE/);
    expect(ownBoundingSet("CapBnd:\t0000000000000003\n")).toEqual(["CAP_CHOWN", "CAP_DAC_OVERRIDE"]);
  });
});

describe("flags", () => {
  test("parse: repeatable and comma lists, --privileged, security options", () => {
    const f = parseRunArgs(["--rm", "--cap-add", "NET_ADMIN", "--cap-add=sys_time,chown", "--cap-drop", "ALL", "--privileged",
      "--security-opt", "no-new-privileges", "--security-opt=seccomp=/p.json", "busybox", "true"]);
    expect(f.capAdd).toEqual(["NET_ADMIN", "sys_time", "chown"]);
    expect(f.capDrop).toEqual(["ALL"]);
    expect(f.privileged).toBe(true);
    expect(f.noNewPrivileges).toBe(true);
    expect(f.seccomp).toEqual({ file: "/p.json" });
    expect(parseRunArgs(["--security-opt", "seccomp=unconfined", "busybox"]).seccomp).toBe("unconfined");
    expect(parseRunArgs(["--security-opt", "no-new-privileges=false", "busybox"]).noNewPrivileges).toBe(false);
    expect(() => parseRunArgs(["--security-opt", "apparmor=x", "busybox"])).toThrow(/unsupported/);
    expect(() => parseRunArgs(["--security-opt", "seccomp=", "busybox"])).toThrow(/seccomp needs a value/);
    expect(() => parseRunArgs(["--cap-add", "", "busybox"])).toThrow(/needs a capability/);
  });

  test("default vs --privileged vs unconfined", () => {
    const base = { ...none, noNewPrivileges: false };
    const d = resolveSecurity(base, ALL_CAPS);
    expect(d.seccomp).not.toBeNull();
    expect(d.maskedPaths).toEqual(DEFAULT_MASKED_PATHS);
    expect(d.readonlyPaths).toContain("/proc/sys");
    expect(d.sysRw).toBe(false);
    const p = resolveSecurity({ ...base, privileged: true }, NO_RESOURCE);
    expect([p.seccomp, p.maskedPaths, p.readonlyPaths, p.sysRw, p.caps]).toEqual([null, [], [], true, NO_RESOURCE]);
    expect(resolveSecurity({ ...base, seccomp: "unconfined" }, ALL_CAPS).seccomp).toBeNull();
    expect(() => resolveSecurity({ ...base, privileged: true, seccomp: { file: "/x" } }, ALL_CAPS)).toThrow(/--privileged runs without seccomp/);
    expect(defaultMounts(true).find((m) => m.destination === "/sys")!.options).toContain("rw");
    expect(defaultMounts().find((m) => m.destination === "/sys")!.options).toContain("ro");
  });

  test("the defaults are the issue's lists (Docker's, plus /proc/asound read-only)", () => {
    const d = resolveSecurity({ ...none, noNewPrivileges: false }, ALL_CAPS);
    expect(new Set(d.caps)).toEqual(new Set(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]));
    expect(new Set(d.maskedPaths)).toEqual(new Set(["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"]));
    expect(new Set(d.readonlyPaths)).toEqual(new Set(["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]));
  });

  test("the cgroup filesystem: read-only, writable with --privileged, absent when the container may have no cgroups", () => {
    const cg = (m: ReturnType<typeof defaultMounts>) => m.find((x) => x.destination === "/sys/fs/cgroup");
    expect(cg(defaultMounts(false, true))).toMatchObject({ type: "cgroup", options: expect.arrayContaining(["ro", "nosuid", "noexec", "nodev"]) });
    expect(cg(defaultMounts(true, true))!.options).toContain("rw");
    expect(cg(defaultMounts(false, false))).toBeUndefined();
  });

  test("seccomp=FILE: errors name the file and the field", () => {
    const dir = mkdtempSync("/tmp/zoo-sec-unit-");
    const file = (name: string, body: string) => (writeFileSync(join(dir, name), body), join(dir, name));
    const sec = (f: string) => resolveSecurity({ ...none, noNewPrivileges: false, seccomp: { file: f } }, ALL_CAPS);
    expect(() => sec(join(dir, "missing.json"))).toThrow(/missing.json: cannot read the profile: ENOENT/);
    expect(() => sec(file("bad.json", "{"))).toThrow(/bad.json: not valid JSON/);
    expect(() => sec(file("act.json", '{"defaultAction":"SCMP_ACT_NOPE"}'))).toThrow(/act.json: defaultAction: unknown seccomp action/);
    expect(() => sec(file("op.json", '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"LT"}]}]}')))
      .toThrow(/syscalls\[0\]\.args\[0\]\.op: unknown comparison operator/);
    expect(() => sec(file("inc.json", '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"caps":"CAP_X"}}]}')))
      .toThrow(/syscalls\[0\]\.includes\.caps: must be an array/);
    expect(sec(file("ok.json", '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO"}]}')).seccomp).not.toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });

  test("Docker's gates resolve against caps, arch and kernel", () => {
    const profile = {
      defaultAction: "SCMP_ACT_ERRNO",
      archMap: [{ architecture: "SCMP_ARCH_X86_64" }],
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW", comment: "always" },
        { names: ["mount"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
        { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: { caps: ["CAP_SYS_ADMIN"] } },
        { name: "arch_prctl", action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64"] } },
        { names: ["ptrace"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "4.8" } },
        { names: ["future"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "99.0" } },
      ],
    };
    const names = (caps: string[], arch: "x86_64" | "aarch64") =>
      resolveDockerProfile(profile, { caps, arch, kernel: "6.18.0-x" }).syscalls!.map((s) => s.names.join());
    expect(names([], "x86_64")).toEqual(["read", "clone3", "arch_prctl", "ptrace"]);
    expect(names(["CAP_SYS_ADMIN"], "aarch64")).toEqual(["read", "mount", "ptrace"]);
    expect(() => resolveDockerProfile({ ...profile, syscalls: [{ names: ["x"], action: "SCMP_ACT_ALLOW", includes: { minKernel: 4 } }] }, { caps: [], arch: "x86_64" }))
      .toThrow(/syscalls\[0\]\.includes\.minKernel/);
  });
});
