// Device rules seen from inside containers: zoo-runtime's
// linux.resources.devices, with and without --systemd-cgroup, and zoo run's
// Docker-style defaults. On a host with a v1 devices hierarchy they are
// devices.allow/deny writes, on pure cgroup v2 (the VM) an eBPF program: the
// same expectations hold for both. The container makes the nodes itself
// (mknod of any device is one of runc's default rules) and then opens them.
import { describe, expect, test } from "bun:test";
import { systemdBooted } from "../../../src/cgroups/systemd/index.ts";
import type { Spec } from "../../../src/oci/spec.ts";
import { IS_ROOT, useTempStore } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

// Emulated guests start a bun executable in seconds, not milliseconds.
const SLOW = 240_000;

// kmsg (c 1:11) opened for writing needs no capability; sda (b 8:0) need not exist: refused means EPERM before any driver is asked.
const PROBE = [
  "mknod /dev/kmsg2 c 1 11 && mknod /dev/sda9 b 8 0 && echo made",
  "(exec 3>/dev/kmsg2) 2>/dev/null && echo kmsg-opened || echo kmsg-refused",
  "(exec 3</dev/sda9) 2>&1 | grep -q 'Operation not permitted' && echo sda-refused",
  "(exec 3>/dev/full) && echo full-opened",
].join("; ");

const withRules = (rules: NonNullable<NonNullable<Spec["linux"]>["resources"]>["devices"], cgroupsPath: string) => (s: Spec) => {
  for (const set of ["bounding", "effective", "permitted"] as const) s.process!.capabilities![set]!.push("CAP_MKNOD");
  s.linux!.resources = { devices: rules };
  s.linux!.cgroupsPath = cgroupsPath;
};

describe.skipIf(!IS_ROOT)("device rules inside containers (root)", () => {
  describe("zoo-runtime", () => {
    const t = useRuntimeSuite();
    const tag = `bpfdev${process.pid}`;

    for (const systemd of [false, true]) {
      test.skipIf(systemd && !systemdBooted())(`linux.resources.devices${systemd ? " with --systemd-cgroup" : ""}: the config adds a device; runc's defaults stay`, async () => {
        const flags = systemd ? ["--systemd-cgroup"] : [];
        // Without systemd the cgroup goes at the root of each hierarchy: below
        // our own on a systemd host (a service's cgroup, with processes) v2
        // refuses to clone into it, which is not what this test is about.
        const path = (n: string) => (systemd ? `zoo.slice:zoo-test:${tag}${n}` : `/zoo-${tag}${n}`);
        // Deny-all and a denial of /dev/full: runc's defaults come after the config, so full still opens.
        const denied = await t.rt([...flags, "run", "-b", t.bundle(["sh", "-c", PROBE], withRules([{ allow: false, access: "rwm" }, { allow: false, type: "c", major: 1, minor: 7, access: "rwm" }], path("a"))), `${tag}a`], { timeoutMs: SLOW });
        expect([denied.code, denied.stdout, denied.stderr]).toEqual([0, "made\nkmsg-refused\nsda-refused\nfull-opened\n", ""]);
        const allowed = await t.rt([...flags, "run", "-b", t.bundle(["sh", "-c", PROBE], withRules([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 11, access: "w" }], path("b"))), `${tag}b`], { timeoutMs: SLOW });
        expect([allowed.code, allowed.stdout, allowed.stderr]).toEqual([0, "made\nkmsg-opened\nsda-refused\nfull-opened\n", ""]);
      }, SLOW);
    }
  });

  describe("zoo run", () => {
    const t = useTempStore();
    test("Docker's device rules: nodes made inside stay closed; --privileged opens them", async () => {
      // The default seccomp filter already refuses mknod of these; without it the device rules are what is left.
      const plain = await t.zoo(["run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c", PROBE], { timeoutMs: SLOW });
      expect([plain.code, plain.stdout, plain.stderr]).toEqual([0, "made\nkmsg-refused\nsda-refused\nfull-opened\n", ""]);
      const priv = await t.zoo(["run", "--rm", "--network", "none", "--privileged", "busybox", "sh", "-c", PROBE], { timeoutMs: SLOW });
      expect([priv.code, priv.stdout]).toEqual([0, "made\nkmsg-opened\nfull-opened\n"]);
    }, SLOW);
  });
});
