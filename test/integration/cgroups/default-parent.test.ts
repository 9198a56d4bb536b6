// The default cgroup parent (no --systemd-cgroup, no linux.cgroupsPath): the
// container cgroup goes below zoo's own cgroup. On a systemd host that cgroup
// holds processes (the VM: /system.slice/zoo-vm.service), so nothing may be
// enabled in its cgroup.subtree_control: +pids would be accepted and make it a
// thread root, and clone3 into the "domain invalid" child then failed with
// EOPNOTSUPP. On this hybrid host the v2 cgroup is the root, which may.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { detectHierarchies, hierarchyFor } from "../../../src/cgroups/index.ts";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

const SLOW = 240_000;

const v2 = detectHierarchies().find((h) => h.version === 2);
const ownPath = (pid: number | "self") => readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.startsWith("0::"))!.slice(3);
const ownDir = v2 ? `${v2.mountPoint}${v2.ownPath === "/" ? "" : v2.ownPath}` : "";
/** What must stay as it was: the type and controllers of the cgroup we run in. */
const ownState = () => ({
  type: existsSync(`${ownDir}/cgroup.type`) ? readFileSync(`${ownDir}/cgroup.type`, "utf8").trim() : "(root)",
  subtree: readFileSync(`${ownDir}/cgroup.subtree_control`, "utf8").trim(),
});
const child = (name: string) => `${v2?.ownPath === "/" ? "" : v2?.ownPath}/${name}`;
/** Our own v2 cgroup is not the root and has processes (ours): it cannot hand controllers down. */
const ownIsBusy = existsSync(`${ownDir}/cgroup.type`);
const pidsInV2 = hierarchyFor(detectHierarchies(), "pids")?.version === 2;

describe.skipIf(!IS_ROOT || !v2)("zoo-runtime without --systemd-cgroup or linux.cgroupsPath", () => {
  const ctx = useRuntimeSuite();

  test("run: the container is in zoo-<id> below our own cgroup, which keeps its type and controllers", async () => {
    const before = ownState();
    const id = "v2default-plain";
    const r = await ctx.rt(["run", "-b", ctx.bundle(["/bin/cat", "/proc/self/cgroup"]), id], { timeoutMs: SLOW });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.split("\n").find((l) => l.startsWith("0::"))).toBe(`0::${child(`zoo-${id}`)}`);
    expect(ownState()).toEqual(before);
  }, SLOW);

  test("create, start, delete: the same cgroup, gone after delete", async () => {
    const before = ownState();
    const id = "v2default-created";
    const c = await ctx.detached(["create", "-b", ctx.bundle(["/bin/sleep", "1000"]), id]);
    expect([c.code, readFileSync(c.log, "utf8")]).toEqual([0, ""]);
    const pid = JSON.parse((await ctx.rt(["state", id])).stdout).pid as number;
    expect(ownPath(pid)).toBe(child(`zoo-${id}`));
    expect((await ctx.rt(["start", id])).code).toBe(0);
    expect((await ctx.rt(["delete", "--force", id])).code).toBe(0);
    expect(existsSync(`${v2!.mountPoint}${child(`zoo-${id}`)}`)).toBe(false);
    expect(ownState()).toEqual(before);
  }, SLOW);

  test("a pids limit: refused in one line naming the ways out where our own cgroup cannot hand pids down, applied elsewhere", async () => {
    const before = ownState();
    const id = "v2default-limited";
    const bundle = ctx.bundle(["/bin/sleep", "1000"], (s) => {
      s.linux!.resources = { pids: { limit: 12 } };
    });
    const c = await ctx.detached(["create", "-b", bundle, id]);
    const out = readFileSync(c.log, "utf8");
    if (ownIsBusy && pidsInV2) {
      expect([c.code, out]).toEqual([
        1,
        `zoo-runtime: cannot set a pids limit: ${ownDir} has processes of its own, and cgroup v2 only lets a cgroup without processes ` +
          'hand controllers to its children ("no internal processes" rule); run with --systemd-cgroup, or set linux.cgroupsPath ' +
          'to an absolute path whose parent holds no processes (e.g. "/zoo/<id>")\n',
      ]);
    } else {
      expect([c.code, out]).toEqual([0, ""]);
      const h = hierarchyFor(detectHierarchies(), "pids")!;
      expect(readFileSync(`${h.mountPoint}${h.ownPath === "/" ? "" : h.ownPath}/zoo-${id}/pids.max`, "utf8").trim()).toBe("12");
      expect((await ctx.rt(["delete", "--force", id])).code).toBe(0);
    }
    expect(ownState()).toEqual(before);
  }, SLOW);
});
