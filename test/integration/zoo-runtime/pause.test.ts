// zoo-runtime pause/resume: the container's processes really stop (a counter
// written through a bind mount stands still), state says "paused", and
// start/kill/delete treat a paused container as runc does. Also the v2
// freezer (cgroup.freeze) on the container's real cgroup2 directory.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { realFs } from "../../../src/cgroups/index.ts";
import { v2FreezerState, v2SetFrozen } from "../../../src/cgroups/freezer.ts";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("zoo-runtime pause/resume (root)", () => {
  const t = useRuntimeSuite();
  const status = async (id: string) => JSON.parse((await t.rt(["state", id])).stdout).status as string;
  const cgroupPaths = (id: string) =>
    JSON.parse(readFileSync(join(t.root, id, "state.json"), "utf8")).cgroup.paths as { version: number; controllers: string[]; dir: string }[];

  /** A container counting in /out/tick, /out being a host directory. */
  function ticker(): { bundle: string; tick: () => number } {
    const out = join(t.work, `out-${++t.n}`);
    mkdirSync(out);
    const bundle = t.bundle(["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /out/tick.new; mv /out/tick.new /out/tick; sleep 0.01; done"], (s) => {
      s.mounts!.push({ destination: "/out", type: "bind", source: out, options: ["rbind", "rw"] });
    });
    const tick = () => {
      try {
        return Number(readFileSync(join(out, "tick"), "utf8"));
      } catch {
        return 0;
      }
    };
    return { bundle, tick };
  }

  async function stands(tick: () => number): Promise<boolean> {
    const a = tick();
    await Bun.sleep(300);
    return tick() === a;
  }

  test("pause freezes every process (v1 freezer FROZEN, state paused); resume lets them go on", async () => {
    const { bundle, tick } = ticker();
    expect((await t.detached(["run", "-d", "-b", bundle, "p1"])).code).toBe(0);
    await t.waitFor(() => tick() > 2, "the counter to run");
    const p = await t.rt(["pause", "p1"]);
    expect([p.code, p.stderr]).toEqual([0, ""]);
    expect(await status("p1")).toBe("paused");
    const freezer = cgroupPaths("p1").find((c) => c.controllers.includes("freezer"))!;
    expect(readFileSync(join(freezer.dir, "freezer.state"), "utf8").trim()).toBe("FROZEN");
    expect(await stands(tick)).toBe(true);
    const list = JSON.parse((await t.rt(["list", "--format", "json"])).stdout);
    expect(list.find((c: { id: string }) => c.id === "p1").status).toBe("paused");

    const r = await t.rt(["resume", "p1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(await status("p1")).toBe("running");
    expect(await stands(tick)).toBe(false);
  });

  test("refusals in runc's words: pause twice, resume what runs, delete without --force, start while paused", async () => {
    expect((await t.detached(["create", "-b", t.bundle(["sleep", "60"]), "p2"])).code).toBe(0);
    // A created container can be paused too, and start waits for resume.
    expect((await t.rt(["pause", "p2"])).code).toBe(0);
    for (const [args, msg] of [
      [["pause", "p2"], "container not running"],
      [["start", "p2"], "cannot start a container in the paused state"],
      [["delete", "p2"], "cannot delete container p2 that is not stopped: paused"],
      [["resume", "nope"], "container does not exist"],
      [["pause", "nope"], "container does not exist"],
    ] as const) {
      const r = await t.rt([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, `zoo-runtime: ${msg}\n`]);
    }
    expect((await t.rt(["resume", "p2"])).code).toBe(0);
    expect(await status("p2")).toBe("created");
    expect((await t.rt(["start", "p2"])).code).toBe(0);
    const r = await t.rt(["resume", "p2"]);
    expect([r.code, r.stderr]).toEqual([1, "zoo-runtime: container not paused\n"]);
    expect((await t.rt(["kill", "p2", "KILL"])).code).toBe(0);
    await t.waitFor(async () => (await status("p2")) === "stopped", "stopped");
    const s = await t.rt(["pause", "p2"]);
    expect([s.code, s.stderr]).toEqual([1, "zoo-runtime: container not running\n"]);
  });

  test("kill KILL stops a paused container; other signals wait for resume", async () => {
    const b = t.bundle(["sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.01; done"]);
    expect((await t.detached(["run", "-d", "-b", b, "p3"])).code).toBe(0);
    expect((await t.rt(["pause", "p3"])).code).toBe(0);
    expect((await t.rt(["kill", "p3", "TERM"])).code).toBe(0);
    await Bun.sleep(200);
    expect(await status("p3")).toBe("paused");
    expect((await t.rt(["kill", "p3", "KILL"])).code).toBe(0);
    await t.waitFor(async () => (await status("p3")) === "stopped", "a paused container to die of SIGKILL");
  });

  test("delete --force of a paused container thaws and kills it, leaving nothing", async () => {
    const { bundle, tick } = ticker();
    expect((await t.detached(["run", "-d", "-b", bundle, "p4"])).code).toBe(0);
    await t.waitFor(() => tick() > 0, "the counter to run");
    const pid = JSON.parse((await t.rt(["state", "p4"])).stdout).pid as number;
    expect((await t.detached(["exec", "-d", "p4", "sleep", "60"])).code).toBe(0);
    expect((await t.rt(["pause", "p4"])).code).toBe(0);
    const started = Date.now();
    const d = await t.rt(["delete", "--force", "p4"]);
    expect([d.code, d.stderr]).toEqual([0, ""]);
    // Not the 5 s wait for a process that cannot die while frozen.
    expect(Date.now() - started).toBeLessThan(3000);
    const gone = () => {
      try {
        return /^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return true;
      }
    };
    expect(gone()).toBe(true);
  });

  test("the v2 freezer: cgroup.freeze on the container's cgroup2 directory stops it and cgroup.events says so", async () => {
    const { bundle, tick } = ticker();
    expect((await t.detached(["run", "-d", "-b", bundle, "p5"])).code).toBe(0);
    await t.waitFor(() => tick() > 0, "the counter to run");
    const v2 = cgroupPaths("p5").find((c) => c.version === 2);
    if (!v2) return; // no cgroup2 mount on this host
    const env = { cfs: realFs, sleep: (ms: number) => Bun.sleep(ms) };
    expect(v2FreezerState(realFs, v2.dir)).toBe("thawed");
    await v2SetFrozen(env, v2.dir, true);
    expect(v2FreezerState(realFs, v2.dir)).toBe("frozen");
    expect(readFileSync(join(v2.dir, "cgroup.events"), "utf8")).toContain("frozen 1");
    expect(await stands(tick)).toBe(true);
    await v2SetFrozen(env, v2.dir, false);
    expect(v2FreezerState(realFs, v2.dir)).toBe("thawed");
    expect(await stands(tick)).toBe(false);
  });
});
