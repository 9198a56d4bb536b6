// config.json fields checked from inside the container: oomScoreAdj (init and
// exec), rootfsPropagation, umask, additionalGids, personality; and the fields zoo-runtime
// refuses (personality flags, timeOffsets, intelRdt, unknown ones) with one line
// and nothing created.
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectHierarchies, hierarchyFor } from "../../../src/cgroups/index.ts";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

// Device rules are enforced through a v1 devices hierarchy only (docs/design/zoo-runtime.md, known gaps).
const v1Devices = hierarchyFor(detectHierarchies(), "devices")?.version === 1;

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
      [(s) => (s.linux.timeOffsets = { monotonic: { secs: 10 } }), "linux.timeOffsets: clock offsets are not supported (the time namespace is created without them); remove it"],
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

  test.skipIf(!v1Devices)("linux.resources.devices: a host device bound in is refused unless a rule allows it (v1 devices cgroup)", async () => {
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
