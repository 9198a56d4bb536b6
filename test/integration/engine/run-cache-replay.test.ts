// `zoo run --rm --network none` through the C front door (docs/design/run-cache.md,
// "zoo run"): the first run goes through Bun, which writes a cache entry; the
// next with the same arguments is replayed with no Bun at all. Both must look
// the same from inside and outside the container, each run must get an ID of
// its own, and nothing may be left behind. ZOO_RUN_CACHE_TRACE=1 makes the
// front door say which way it went.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT, ZOO, useTempStore } from "../../helpers/env.ts";

const TRACE = { ZOO_RUN_CACHE_TRACE: "1" };
/** Which way the front door went in the end: a hit that fell back says both, the fallback last. */
const way = (stderr: string) => [...stderr.matchAll(/^run cache: (hit|miss|fallback)/gm)].at(-1)?.[1];
const quiet = (stderr: string) => stderr.replace(/^run cache: .*\n/gm, "");
const RUN = ["run", "--rm", "--network", "none"];

describe.skipIf(!IS_ROOT)("zoo run replayed from the run cache", () => {
  const t = useTempStore();
  const zoo = (args: string[], env: Record<string, string> = {}) => t.zoo(args, { env: { ...TRACE, ...env } });
  const containers = () => (existsSync(join(t.store, "containers")) ? readdirSync(join(t.store, "containers")) : []);

  /** The first run of these arguments: through Bun, which writes the entry. */
  async function prime(args: string[]) {
    const r = await zoo(args);
    expect(way(r.stderr)).toBe("miss");
    return r;
  }

  test("the second run is a hit, with the same output and exit code and an ID of its own", async () => {
    const args = [...RUN, "busybox", "sh", "-c", "echo out; echo err >&2; hostname; echo $HOSTNAME; exit 7"];
    const first = await prime(args);
    const second = await zoo(args);
    expect(way(second.stderr)).toBe("hit");
    for (const r of [first, second]) {
      expect(r.code).toBe(7);
      expect(quiet(r.stderr)).toBe("err\n");
      expect(r.stdout).toMatch(/^out\n([0-9a-f]{12})\n\1\n$/);
    }
    expect(second.stdout).not.toBe(first.stdout);
    expect(containers()).toEqual([]);
  });

  test("a replayed container sees what a Bun-started one sees", async () => {
    const look = [
      "cat /proc/self/cgroup", "id", "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status", "ls -l /dev",
      "mount | cut -d' ' -f1-5", "ulimit -n", "ip -o link | awk '{print $2, $3}'", "cat /etc/hosts /etc/resolv.conf", "ls -l / | awk '{print $1, $NF}'",
    ].join("; ");
    const args = [...RUN, "-e", "A=1", "-w", "/tmp", "-m", "64m", "--pids-limit", "50", "busybox", "sh", "-c", `${look}; hostname`];
    const slow = await prime(args);
    const fast = await zoo(args);
    expect(way(fast.stderr)).toBe("hit");
    const same = (out: string) => {
      const host = out.trim().split("\n").at(-1)!;
      expect(host).toMatch(/^[0-9a-f]{12}$/);
      return out.replaceAll(host, "HOST").replace(/\d\d:\d\d /g, "");
    };
    expect([fast.code, same(fast.stdout)]).toEqual([slow.code, same(slow.stdout)]);
    expect(fast.stdout).toContain("lo: <LOOPBACK,UP,LOWER_UP>");
    // Its own cgroup, named after its short ID, with the limits.
    expect(fast.stdout).toMatch(/zoo-HOST|zoo-[0-9a-f]{12}|^0::\/$/m);
  });

  test("what the container wrote, however deep, goes with it; a symlink in it is not followed", async () => {
    const args = [...RUN, "busybox", "sh", "-c", "mkdir -p /a/b/c/d && echo x > /a/b/c/d/f && ln -s /etc /a/host-etc && ln -s /bin/busybox /a/b/bb && echo done"];
    await prime(args);
    const r = await zoo(args);
    expect([way(r.stderr), r.stdout, r.code]).toEqual(["hit", "done\n", 0]);
    expect(containers()).toEqual([]);
    expect(existsSync("/etc/passwd")).toBe(true);
  });

  test("SIGTERM to zoo reaches the container; a container killed by a signal kills zoo with it", async () => {
    const trap = [...RUN, "busybox", "sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done"];
    const term = async () => {
      const p = Bun.spawn([ZOO, ...trap], { env: { PATH: process.env.PATH!, ZOO_ROOT: t.store, ...TRACE }, stdout: "pipe", stderr: "pipe" });
      const reader = p.stdout.getReader();
      let out = "";
      while (!out.includes("ready")) out += new TextDecoder().decode((await reader.read()).value);
      p.kill("SIGTERM");
      for (let c = await reader.read(); !c.done; c = await reader.read()) out += new TextDecoder().decode(c.value);
      await p.exited;
      return { out, code: p.exitCode, stderr: await new Response(p.stderr).text() };
    };
    const first = await term();
    expect([way(first.stderr), first.out, first.code]).toEqual(["miss", "ready\ngot-term\n", 3]);
    const second = await term();
    expect([way(second.stderr), second.out, second.code]).toEqual(["hit", "ready\ngot-term\n", 3]);

    // The container's PID 1 dies of SIGKILL from outside: zoo dies of it too, as the seed asks.
    const secs = String(1000 + Math.floor(Math.random() * 8000));
    const tag = `sleep ${secs}`;
    const killed = async () => {
      // sleep is the container's PID 1: SIGKILL from outside ends the container.
      const p = Bun.spawn([ZOO, ...RUN, "busybox", "sleep", secs], { env: { PATH: process.env.PATH!, ZOO_ROOT: t.store, ...TRACE }, stdout: "pipe", stderr: "pipe" });
      let pid = "";
      // Generous: the first run goes through Bun, slow in an emulated VM.
      for (let i = 0; i < 1200 && !pid; i++) {
        const g = Bun.spawnSync(["pgrep", "-xf", tag]);
        pid = g.stdout.toString().trim();
        if (!pid) await Bun.sleep(25);
      }
      expect(pid).toMatch(/^\d+$/);
      process.kill(Number(pid), "SIGKILL");
      await p.exited;
      return { signal: p.signalCode, stderr: await new Response(p.stderr).text(), stdout: await new Response(p.stdout).text() };
    };
    const k1 = await killed();
    const k2 = await killed();
    expect([way(k1.stderr), k1.signal]).toEqual(["miss", "SIGKILL"]);
    expect([way(k2.stderr), k2.signal]).toEqual(["hit", "SIGKILL"]);
    expect(containers()).toEqual([]);
  });

  test("an OOM kill is reported the same way", async () => {
    const args = [...RUN, "-m", "16m", "busybox", "sh", "-c", "tail /dev/zero; echo status $?"];
    const first = await prime(args);
    const second = await zoo(args);
    expect(way(second.stderr)).toBe("hit");
    for (const r of [first, second]) {
      expect(r.stdout).toBe("status 137\n");
      // sh says "Killed" of its child first.
      expect(quiet(r.stderr)).toEndWith("\nzoo: the container ran out of memory and was killed\n");
    }
  });

  test("another image under the name is a miss; ZOO_RUN_CACHE=off never replays", async () => {
    const args = [...RUN, "busybox", "true"];
    await prime(args);
    expect(way((await zoo(args)).stderr)).toBe("hit");
    // The store's index changes: the entry's guard fails before anything is done.
    expect((await t.zoo(["tag", "busybox", "other:latest"])).code).toBe(0);
    const after = await zoo(args);
    expect([way(after.stderr), after.code]).toEqual(["miss", 0]);
    expect(way((await zoo(args)).stderr)).toBe("hit");
    const off = await zoo(args, { ZOO_RUN_CACHE: "off" });
    expect(off.code).toBe(0);
    expect(way(off.stderr)).not.toBe("hit");
    // Not a run at all, or flags that rule it out: straight to Bun.
    const v = await zoo(["--version"]);
    expect(v.stdout).toMatch(/^zoo version /);
  });
});
