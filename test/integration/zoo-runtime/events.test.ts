// zoo-runtime events: one stats object in runc's shape from the container's
// real cgroup files, and a stream with "oom" when the kernel OOM-kills inside
// the container, ending when the container stops.
import { describe, expect, test } from "bun:test";
import { IS_ROOT } from "../../helpers/env.ts";
import { RUNTIME, useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("zoo-runtime events (root)", () => {
  const t = useRuntimeSuite();

  test("--stats prints one stats event: cpu time, memory usage and limit, pids", async () => {
    const b = t.bundle(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 60"], (s) => {
      s.linux!.resources = { memory: { limit: 96 << 20 }, pids: { limit: 64 } };
    });
    expect((await t.detached(["run", "-d", "-b", b, "ev1"])).code).toBe(0);
    await t.waitFor(async () => (await t.rt(["ps", "ev1"])).stdout.includes("sleep 60"), "the busy loop to finish");
    const r = await t.rt(["events", "--stats", "ev1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(r.stdout.trim().split("\n").length).toBe(1);
    const e = JSON.parse(r.stdout);
    expect(e.type).toBe("stats");
    expect(e.id).toBe("ev1");
    expect(e.data.cpu.usage.total).toBeGreaterThan(1_000_000); // more than 1 ms of CPU
    expect(e.data.memory.usage.limit).toBe(96 << 20);
    expect(e.data.memory.usage.usage).toBeGreaterThan(0);
    expect(e.data.pids).toEqual({ current: 1, limit: 64 });
    expect(typeof e.data.memory.raw).toBe("object");
  });

  test("the stream reports stats every --interval, an oom when the kernel kills inside, and ends with the container", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      s.linux!.resources = { memory: { limit: 16 << 20, swap: 16 << 20 } };
    });
    expect((await t.detached(["run", "-d", "-b", b, "ev2"])).code).toBe(0);
    const p = Bun.spawn([RUNTIME, "--root", t.root, "events", "--interval", "200ms", "ev2"], { stdout: "pipe", stderr: "pipe" });
    const out = new Response(p.stdout).text();
    await Bun.sleep(500);
    // A shell variable holding 40 MB in a 16 MB cgroup without swap.
    const hog = await t.rt(["exec", "ev2", "sh", "-c", 'x=$(head -c 40000000 /dev/zero | tr "\\0" a); echo ${#x}']);
    expect(hog.code).toBe(137);
    await Bun.sleep(400);
    expect((await t.rt(["kill", "ev2", "KILL"])).code).toBe(0);
    const timer = setTimeout(() => p.kill(), 5000);
    const code = await p.exited;
    clearTimeout(timer);
    expect([code, await new Response(p.stderr).text()]).toEqual([0, ""]);
    const events = (await out).trim().split("\n").map((l) => JSON.parse(l) as { type: string; id: string });
    expect(events.filter((e) => e.type === "oom")).toEqual([{ type: "oom", id: "ev2" }]);
    expect(events.filter((e) => e.type === "stats").length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.id === "ev2")).toBe(true);
  });

  test("refusals: a stopped or missing container, a bad interval", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["true"]), "ev3"])).code).toBe(0);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "ev3"])).stdout).status === "stopped", "stopped");
    for (const [args, msg] of [
      [["events", "ev3"], "container not running"],
      [["events", "--stats", "nope"], "container does not exist"],
      [["events", "--interval", "5", "ev3"], 'events: --interval "5": want a duration such as 5s, 500ms or 1m'],
    ] as const) {
      const r = await t.rt([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, `zoo-runtime: ${msg}\n`]);
    }
  });
});
