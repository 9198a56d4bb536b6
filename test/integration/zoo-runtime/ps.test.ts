// zoo-runtime ps: the container's processes from its cgroup, as JSON pids or
// as the host's ps table cut down to them.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("zoo-runtime ps (root)", () => {
  const t = useRuntimeSuite();

  test("json lists init and exec'd processes, table shows only them under ps -ef's header", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "ps1"])).code).toBe(0);
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "61"]), "ps2"])).code).toBe(0);
    const init = JSON.parse((await t.rt(["state", "ps1"])).stdout).pid as number;
    const pidFile = join(t.work, "ps1.pid");
    expect((await t.detached(["exec", "-d", "--pid-file", pidFile, "ps1", "sleep", "62"])).code).toBe(0);
    const execd = Number(readFileSync(pidFile, "utf8"));

    const j = await t.rt(["ps", "--format", "json", "ps1"]);
    expect([j.code, j.stderr]).toEqual([0, ""]);
    expect(JSON.parse(j.stdout)).toEqual([init, execd].sort((a, b) => a - b));

    const table = await t.rt(["ps", "ps1"]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trim().split("\n");
    expect(header).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(rows.map((r) => [Number(r.trim().split(/\s+/)[1]), r.replace(/.*\d\d:\d\d:\d\d /, "")]).sort()).toEqual(
      [[init, "sleep 60"], [execd, "sleep 62"]].sort(),
    );

    const custom = await t.rt(["ps", "ps1", "-o", "pid,comm"]);
    expect(custom.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/))).toEqual([["PID", "COMMAND"], ...[init, execd].sort((a, b) => a - b).map((p) => [String(p), "sleep"])]);
  });

  test("refusals: no PID column, a missing container, a bad format; a stopped one lists nothing, as runc's", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "ps3"])).code).toBe(0);
    const noPid = await t.rt(["ps", "ps3", "-o", "comm"]);
    expect([noPid.code, noPid.stderr]).toEqual([1, "zoo-runtime: ps: the output has no PID column (keep pid in -o)\n"]);
    expect((await t.rt(["kill", "ps3", "KILL"])).code).toBe(0);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "ps3"])).stdout).status === "stopped", "stopped");
    const table = await t.rt(["ps", "ps3"]);
    expect([table.code, table.stderr, table.stdout.trim().split("\n").length]).toEqual([0, "", 1]);
    expect(table.stdout).toMatch(/^UID\s+PID\s+PPID/);
    const json = await t.rt(["ps", "--format", "json", "ps3"]);
    expect([json.code, json.stdout]).toEqual([0, "[]\n"]);
    for (const [args, msg] of [
      [["ps", "nope"], "container does not exist"],
      [["ps", "--format", "yaml", "ps3"], 'ps: --format "yaml": want table or json'],
      [["ps"], "ps: expected ID [PS ARGS...], got 0 arguments"],
    ] as const) {
      const r = await t.rt([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, `zoo-runtime: ${msg}\n`]);
    }
  });
});
