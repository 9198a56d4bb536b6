// zoo-runtime update: new limits land in the running container's cgroup
// files (flags, a resources file, stdin), bad values change nothing.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("zoo-runtime update (root)", () => {
  const t = useRuntimeSuite();
  /** The container's directory in the hierarchy that has `ctl`. */
  const dirOf = (id: string, ctl: string) => {
    const paths = JSON.parse(readFileSync(join(t.root, id, "state.json"), "utf8")).cgroup.paths as { version: number; controllers: string[]; dir: string }[];
    return (paths.find((p) => p.version === 1 && p.controllers.includes(ctl)) ?? paths.find((p) => p.version === 2))!.dir;
  };
  const read = (id: string, ctl: string, file: string) => readFileSync(join(dirOf(id, ctl), file), "utf8").trim();
  const v1 = (id: string, ctl: string) => existsSync(join(dirOf(id, ctl), `${ctl === "cpu" ? "cpu.shares" : `${ctl}.limit_in_bytes`}`));

  test("flags set memory, cpu, cpuset and pids limits on a running container", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      s.linux!.resources = { memory: { limit: 256 << 20 }, pids: { limit: 100 } };
    });
    expect((await t.detached(["run", "-d", "-b", b, "u1"])).code).toBe(0);
    const cpus = read("u1", "cpuset", "cpuset.cpus");
    const r = await t.rt([
      "update", "--memory", "128m", "--memory-reservation", "64m", "--cpu-shares", "512", "--cpu-period", "100000", "--cpu-quota", "50000",
      "--cpuset-cpus", cpus.split(/[-,]/)[0]!, "--pids-limit", "42", "u1",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(read("u1", "pids", "pids.max")).toBe("42");
    expect(read("u1", "cpuset", "cpuset.cpus")).toBe(cpus.split(/[-,]/)[0]!);
    if (v1("u1", "memory")) {
      expect(read("u1", "memory", "memory.limit_in_bytes")).toBe(String(128 << 20));
      expect(read("u1", "memory", "memory.soft_limit_in_bytes")).toBe(String(64 << 20));
    } else {
      expect(read("u1", "memory", "memory.max")).toBe(String(128 << 20));
    }
    if (v1("u1", "cpu")) {
      expect([read("u1", "cpu", "cpu.shares"), read("u1", "cpu", "cpu.cfs_quota_us"), read("u1", "cpu", "cpu.cfs_period_us")]).toEqual(["512", "50000", "100000"]);
    } else {
      expect(read("u1", "cpu", "cpu.max")).toBe("50000 100000");
    }
    // The container still runs, inside its new limits.
    expect((await t.rt(["exec", "u1", "true"])).code).toBe(0);
  });

  test("--resources takes OCI linux.resources JSON from a file or stdin; flags win over it", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "u2"])).code).toBe(0);
    const file = join(t.work, "res.json");
    writeFileSync(file, JSON.stringify({ memory: { limit: 100 << 20 }, pids: { limit: 33 }, devices: [] }));
    expect((await t.rt(["update", "-r", file, "--pids-limit", "34", "u2"])).code).toBe(0);
    expect(read("u2", "pids", "pids.max")).toBe("34");
    if (v1("u2", "memory")) expect(read("u2", "memory", "memory.limit_in_bytes")).toBe(String(100 << 20));
    const s = await t.rt(["update", "--resources", "-", "u2"], { stdin: JSON.stringify({ pids: { limit: -1 } }) });
    expect([s.code, s.stderr]).toEqual([0, ""]);
    expect(read("u2", "pids", "pids.max")).toBe("max");
  });

  test("bad values are one line and change nothing; a stopped or missing container is refused", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      s.linux!.resources = { pids: { limit: 50 } };
    });
    expect((await t.detached(["run", "-d", "-b", b, "u3"])).code).toBe(0);
    const file = join(t.work, "bad.json");
    writeFileSync(file, JSON.stringify({ hugepageLimits: [{ pageSize: "2MB", limit: -1 }] }));
    for (const [args, msg] of [
      [["update", "--cpu-quota", "10", "u3"], "cpu quota must be -1 or at least 1000 µs, got 10"],
      [["update", "--pids-limit", "many", "u3"], 'update: --pids-limit "many": want -1 or a whole number'],
      [["update", "--memory", "lots", "u3"], 'invalid memory limit --memory "lots": use bytes or a number with k, m or g (e.g. 512m)'],
      [["update", "--cpuset-cpus", "a-b", "u3"], 'cpuset cpus must be a list like "0-3,6", got "a-b"'],
      [["update", "--kernel-memory", "-5", "u3"], 'invalid memory limit --kernel-memory "-5": use bytes or a number with k, m or g (e.g. 512m)'],
      [["update", "-r", file, "u3"], "hugepageLimits[0].limit must be a byte count (0 or more), got -1"],
      [["update", "--blkio-weight", "5", "u3"], "update: --blkio-weight 5: want 10..1000"],
      [["update", "--pids-limit", "5", "nope"], "container does not exist"],
    ] as const) {
      const r = await t.rt([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, `zoo-runtime: ${msg}\n`]);
    }
    expect(read("u3", "pids", "pids.max")).toBe("50");
    expect((await t.rt(["kill", "u3", "KILL"])).code).toBe(0);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "u3"])).stdout).status === "stopped", "stopped");
    const r = await t.rt(["update", "--pids-limit", "5", "u3"]);
    expect([r.code, r.stderr]).toEqual([1, "zoo-runtime: container not running\n"]);
  });

  test("--blkio-weight writes the I/O scheduler's weight file, or says why it cannot", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "u4"])).code).toBe(0);
    const dir = dirOf("u4", "blkio");
    const file = ["blkio.weight", "blkio.bfq.weight", "io.bfq.weight", "io.weight"].find((f) => existsSync(join(dir, f)));
    const r = await t.rt(["update", "--blkio-weight", "321", "u4"]);
    if (file) {
      expect([r.code, r.stderr]).toEqual([0, ""]);
      // io.weight is on its own 1..10000 scale: 321 there is 3141.
      expect(readFileSync(join(dir, file), "utf8")).toMatch(file === "io.weight" ? /^default 3141\n/ : /^(default )?321\n/);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^zoo-runtime: cannot set blockIO.weight: neither /);
    }
  });
});
