// config.json fields checked from inside the container: oomScoreAdj (init and
// exec), rootfsPropagation, umask, additionalGids, personality, timeOffsets;
// and the fields zoo-runtime refuses (personality flags, intelRdt, unknown
// ones) with one line and nothing created.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("zoo-runtime: config fields (root)", () => {
  const t = useRuntimeSuite();

  test("oomScoreAdj, rootfsPropagation, umask and additionalGids apply to the process", async () => {
    const b = t.bundle(["sh", "-c", "cat /proc/self/oom_score_adj; awk '$5 == \"/\"' /proc/self/mountinfo | grep -o 'shared:' | head -1; umask; id -G"], (s) => {
      s.process!.oomScoreAdj = 500;
      s.process!.user = { uid: 0, gid: 0, umask: 0o027, additionalGids: [7, 9] };
      s.linux!.rootfsPropagation = "rshared";
    });
    const r = await t.rt(["run", "-b", b, "cf1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe("500\nshared:\n0027\n0 7 9\n");
  });

  test("linux.personality LINUX32: uname reports a 32-bit machine; LINUX leaves it", async () => {
    const r32 = await t.rt(["run", "-b", t.bundle(["uname", "-m"], (s: any) => (s.linux.personality = { domain: "LINUX32" })), "cfp32"]);
    expect([r32.code, r32.stdout, r32.stderr]).toEqual([0, process.arch === "x64" ? "i686\n" : "armv8l\n", ""]);
    const r64 = await t.rt(["run", "-b", t.bundle(["uname", "-m"], (s: any) => (s.linux.personality = { domain: "LINUX" })), "cfp64"]);
    expect([r64.code, r64.stdout, r64.stderr]).toEqual([0, process.arch === "x64" ? "x86_64\n" : "aarch64\n", ""]);
  });

  const withTimeNs = (offsets: unknown) => (s: any) => {
    s.linux.namespaces.push({ type: "time" });
    s.linux.timeOffsets = offsets;
  };
  const TEN_THOUSAND_DAYS = 864_000_000;
  const readClocks = ["sh", "-c", "tr -s ' ' </proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime"];
  const uptimeOf = (out: string) => Number(out.trim().split("\n").at(-1));

  test("linux.timeOffsets: the process starts in a time namespace with them (timens_offsets, /proc/uptime)", async () => {
    const r = await t.rt(["run", "-b", t.bundle(readClocks, withTimeNs({ boottime: { secs: TEN_THOUSAND_DAYS, nanosecs: 5 }, monotonic: { secs: -1 } })), "timens-to1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toStartWith(`monotonic -1 0\nboottime ${TEN_THOUSAND_DAYS} 5\n`);
    expect(uptimeOf(r.stdout)).toBeGreaterThanOrEqual(TEN_THOUSAND_DAYS);
    // In a user namespace whose root is not the caller's uid: set before the switch of ids.
    const userns = await t.rt(["run", "-b", t.bundle(readClocks, (s: any) => {
      withTimeNs({ boottime: { secs: 3600 } })(s);
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    }), "timens-to2"]);
    expect([userns.code, userns.stderr]).toEqual([0, ""]);
    expect(userns.stdout).toStartWith("monotonic 0 0\nboottime 3600 0\n");
  });

  test("linux.timeOffsets: exec and a container joining the namespace by path see the same clocks", async () => {
    const b = t.bundle(["sleep", "60"], withTimeNs({ boottime: { secs: TEN_THOUSAND_DAYS } }));
    expect((await t.detached(["run", "-d", "--pid-file", join(t.work, "timens.pid"), "-b", b, "timens-to3"])).code).toBe(0);
    const e = await t.rt(["exec", "timens-to3", ...readClocks]);
    expect([e.code, e.stderr]).toEqual([0, ""]);
    expect(e.stdout).toStartWith(`monotonic 0 0\nboottime ${TEN_THOUSAND_DAYS} 0\n`);
    const pid = readFileSync(join(t.work, "timens.pid"), "utf8").trim();
    const joined = await t.rt(["run", "-b", t.bundle(readClocks, (s: any) => s.linux.namespaces.push({ type: "time", path: `/proc/${pid}/ns/time` })), "timens-to4"]);
    expect([joined.code, joined.stderr]).toEqual([0, ""]);
    expect(uptimeOf(joined.stdout)).toBeGreaterThanOrEqual(TEN_THOUSAND_DAYS);
  });

  test("linux.timeOffsets: bad values are one line, and nothing is left", async () => {
    const cases: [unknown, string][] = [
      [{ realtime: { secs: 1 } }, 'linux.timeOffsets.realtime: only "monotonic" and "boottime" clocks have offsets'],
      [{ boottime: { secs: 1.5 } }, "linux.timeOffsets.boottime.secs: must be an integer from -9223372036 to 9223372036, got 1.5"],
      [{ monotonic: { nanosecs: 1e9 } }, "linux.timeOffsets.monotonic.nanosecs: must be an integer 0..999999999, got 1000000000"],
      [{ monotonic: { sec: 1 } }, 'linux.timeOffsets.monotonic.sec: is not a field (want "secs" and "nanosecs")'],
      // The kernel's own check: boottime cannot go below zero.
      [{ boottime: { secs: -2_000_000_000 } }, "set the time namespace's clock offsets (linux.timeOffsets): an offset takes its clock below zero (a negative one larger than the host's uptime) or past the kernel's limit; use a smaller one"],
    ];
    let n = 0;
    for (const [offsets, msg] of cases) {
      const id = `timens-bad${++n}`;
      const r = await t.rt(["create", "-b", t.bundle(["true"], withTimeNs(offsets)), id]);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, "", `zoo-runtime: ${msg}\n`]);
      expect(existsSync(join(t.root, id))).toBe(false);
    }
    const noNs = await t.rt(["create", "-b", t.bundle(["true"], (s: any) => (s.linux.timeOffsets = { boottime: { secs: 1 } })), "timens-bad-nons"]);
    expect([noNs.code, noNs.stderr]).toEqual([1, 'zoo-runtime: linux.timeOffsets: needs a time namespace: add {"type": "time"} to linux.namespaces\n']);
    const byPath = await t.rt(["create", "-b", t.bundle(["true"], (s: any) => {
      s.linux.namespaces.push({ type: "time", path: "/proc/1/ns/time" });
      s.linux.timeOffsets = { boottime: { secs: 1 } };
    }), "timens-bad-path"]);
    expect([byPath.code, byPath.stderr]).toEqual([1, 'zoo-runtime: linux.timeOffsets: cannot be set on the time namespace joined at "/proc/1/ns/time" (its clocks are its own); remove one of them\n']);
  });

  test("exec applies a --process oomScoreAdj", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "cf2"])).code).toBe(0);
    const file = join(t.work, "oom.json");
    writeFileSync(file, JSON.stringify({ args: ["cat", "/proc/self/oom_score_adj"], cwd: "/", oomScoreAdj: 600 }));
    const r = await t.rt(["exec", "--process", file, "cf2"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "600\n", ""]);
  });

  test("what zoo-runtime cannot honour is refused by name, before anything is made", async () => {
    const cases: [(s: any) => void, string][] = [
      [(s) => (s.linux.personality = { domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"] }), 'linux.personality.flags: ["ADDR_NO_RANDOMIZE"]: personality flags are not supported; remove them'],
      [(s) => (s.linux.intelRdt = { closID: "c" }), "linux.intelRdt: Intel RDT (resctrl) is not supported; remove it"],
      [(s) => (s.process.scheduler = { policy: "SCHED_BATCH" }), "process.scheduler: is not supported; remove it"],
    ];
    let n = 0;
    for (const [edit, msg] of cases) {
      const id = `cfbad${++n}`;
      const r = await t.rt(["create", "-b", t.bundle(["true"], edit), id]);
      expect([r.code, r.stderr]).toEqual([1, `zoo-runtime: ${msg}\n`]);
      expect(existsSync(join(t.root, id))).toBe(false);
    }
  });

  test("linux.resources.devices: a host device bound in is refused unless a rule allows it (v1 devices cgroup)", async () => {
    const open = ["sh", "-c", "exec 3</dev/loop-control && echo opened"];
    const bindIt = (s: any) => s.mounts.push({ destination: "/dev/loop-control", type: "bind", source: "/dev/loop-control", options: ["bind"] });
    const denied = await t.rt(["run", "-b", t.bundle(open, (s: any) => {
      bindIt(s);
      s.linux.resources = { devices: [{ allow: false, access: "rwm" }] };
    }), "dev1"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("Operation not permitted");
    const allowed = await t.rt(["run", "-b", t.bundle(open, (s: any) => {
      bindIt(s);
      s.linux.resources = { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 237, access: "rw" }] };
    }), "dev2"]);
    expect([allowed.code, allowed.stdout]).toEqual([0, "opened\n"]);
  });
});
