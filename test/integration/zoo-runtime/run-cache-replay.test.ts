// `zoo-runtime run` through the C front door (docs/design/run-cache.md): the
// first run of a bundle goes through Bun, which writes a cache entry; the next
// one with the same arguments is replayed by the front door with no Bun at
// all. Both must look the same from inside and outside the container, and a
// replay that cannot go on must hand over to the Bun path, which reports the
// error in its own words. ZOO_RUN_CACHE_TRACE=1 makes the front door say which
// way it went.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT, makeRootfs, run } from "../../helpers/env.ts";
import { RUNTIME, useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

const CACHE = "/run/zoo/cache/run";
const TRACE = { ZOO_RUN_CACHE_TRACE: "1" };
/** Which way the front door went in the end: a hit that fell back says both, the fallback last. */
const way = (stderr: string) => [...stderr.matchAll(/^run cache: (hit|miss|fallback)/gm)].at(-1)?.[1];
/** stderr without the front door's trace line. */
const quiet = (stderr: string) => stderr.replace(/^run cache: .*\n/gm, "");

const entries = () => (existsSync(CACHE) ? readdirSync(CACHE) : []);

describe.skipIf(!IS_ROOT)("zoo-runtime run replayed from the run cache", () => {
  const t = useRuntimeSuite();
  let before: string[] = [];
  beforeAll(() => {
    before = entries();
  });
  afterAll(() => {
    // The entries these runs wrote name bundles that are gone now.
    for (const e of entries()) if (!before.includes(e)) rmSync(join(CACHE, e), { force: true });
  });

  /** Runs `run -b bundle id` once through Bun (writing the entry), asserting it was not a hit. */
  async function prime(bundle: string, id: string) {
    const r = await t.rt(["run", "-b", bundle, id], { env: TRACE });
    expect(way(r.stderr)).toBe("miss");
    return r;
  }

  test("the second run of a bundle is a hit, with the same output and exit code", async () => {
    const b = t.bundle(["sh", "-c", "echo out; echo err >&2; exit 7"]);
    const first = await prime(b, "rc-a1");
    expect([first.code, first.stdout, quiet(first.stderr)]).toEqual([7, "out\n", "err\n"]);
    const second = await t.rt(["run", "-b", b, "rc-a2"], { env: TRACE });
    expect(way(second.stderr)).toBe("hit");
    expect([second.code, second.stdout, quiet(second.stderr)]).toEqual([7, "out\n", "err\n"]);
    expect(existsSync(join(t.root, "rc-a2"))).toBe(false);
  });

  test("a replayed container sees what a Bun-started one sees", async () => {
    const look = "cat /proc/self/cgroup; hostname; id; grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; ls -l /dev; mount | cut -d' ' -f1-5; ulimit -n";
    const b = t.bundle(["sh", "-c", look]);
    const slow = await prime(b, "rc-b1");
    const fast = await t.rt(["run", "-b", b, "rc-b2"], { env: TRACE });
    expect(way(fast.stderr)).toBe("hit");
    expect(slow.code).toBe(0);
    expect(fast.code).toBe(0);
    expect(fast.stdout.replaceAll("rc-b2", "rc-b1")).toBe(slow.stdout);
    // The container is in its own cgroup, named after it (unless a cgroup namespace shows it as "/").
    if (!/^0::\/$/m.test(fast.stdout)) expect(fast.stdout).toContain("zoo-rc-b2");
  });

  test("while a replayed run goes on, state, list and kill see it as usual; its cgroup has the config's limits (v1 or v2)", async () => {
    const b = t.bundle(["sleep", "30"], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 33 } };
      // Absolute: on a systemd host our own cgroup holds processes and cannot hand limits down.
      s.linux!.cgroupsPath = "/zoo-rc-limits";
    });
    const started = async (id: string) => {
      const p = Bun.spawn([RUNTIME, "--root", t.root, "run", "-b", b, id], { env: { ...process.env, ...TRACE }, stderr: "pipe", stdout: "pipe" });
      let st: { status?: string; pid?: number } = {};
      await t.waitFor(async () => {
        const r = await t.rt(["state", id]);
        if (r.code !== 0) return false;
        st = JSON.parse(r.stdout);
        return st.status === "running";
      }, `${id} to run`);
      return { p, pid: st.pid! };
    };
    const prim = await started("rc-c1");
    expect((await t.rt(["kill", "rc-c1", "KILL"])).code).toBe(0);
    expect(await prim.p.exited).toBe(137);
    expect(way(await new Response(prim.p.stderr).text())).toBe("miss");
    const { p, pid } = await started("rc-c2");
    const st = { pid };
    expect((await t.rt(["list", "--quiet"])).stdout.split("\n")).toContain("rc-c2");
    // Where the limits are: the v1 memory and pids hierarchies, or the one cgroup2 directory.
    const cg = readFileSync(`/proc/${st.pid}/cgroup`, "utf8");
    const v1 = (c: string) => /:memory:/.test(cg) && `/sys/fs/cgroup/${c}${new RegExp(`:${c}:(.*)$`, "m").exec(cg)?.[1]}`;
    const v2 = `/sys/fs/cgroup${/^0::(.*)$/m.exec(cg)?.[1]}`;
    const [mem, pids] = [v1("memory") || v2, v1("pids") || v2];
    expect(mem).toEndWith("/zoo-rc-limits");
    expect(readFileSync(join(mem, v1("memory") ? "memory.limit_in_bytes" : "memory.max"), "utf8").trim()).toBe(String(64 * 1024 * 1024));
    expect(readFileSync(join(pids, "pids.max"), "utf8").trim()).toBe("33");
    // The front door starts zoo-shim from a write-sealed copy (the CVE-2019-5736 class), as the shim does for itself.
    const shim = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    expect(readlinkSync(`/proc/${shim}/exe`)).toStartWith("/memfd:zoo-shim");
    expect(() => openSync(`/proc/${shim}/exe`, "r+")).toThrow(/ETXTBSY|EPERM/);
    expect((await t.rt(["kill", "rc-c2", "KILL"])).code).toBe(0);
    expect(await p.exited).toBe(137);
    expect(way(await new Response(p.stderr).text())).toBe("hit");
    expect(existsSync(join(t.root, "rc-c2"))).toBe(false);
  }, 60_000);

  test("a signal to zoo-runtime reaches the container", async () => {
    const b = t.bundle(["sh", "-c", "trap 'exit 3' TERM; echo ready; while :; do sleep 0.1; done"]);
    const prim = Bun.spawn([RUNTIME, "--root", t.root, "run", "-b", b, "rc-d1"], { env: { ...process.env, ...TRACE }, stdout: "pipe", stderr: "pipe" });
    await waitReady(prim.stdout);
    prim.kill("SIGTERM");
    expect(await prim.exited).toBe(3);
    const p = Bun.spawn([RUNTIME, "--root", t.root, "run", "-b", b, "rc-d2"], { env: { ...process.env, ...TRACE }, stdout: "pipe", stderr: "pipe" });
    await waitReady(p.stdout);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(3);
    expect(way(await new Response(p.stderr).text())).toBe("hit");
  });

  test("an ID in use: the replay stops before touching it and Bun says so", async () => {
    const b = t.bundle(["true"]);
    await prime(b, "rc-e1");
    expect((await t.detached(["create", "-b", b, "rc-e2"])).code).toBe(0);
    const r = await t.rt(["run", "-b", b, "rc-e2"], { env: TRACE });
    expect(way(r.stderr)).toBe("fallback");
    expect(r.code).not.toBe(0);
    expect(quiet(r.stderr)).toBe("zoo-runtime: container with given ID already exists\n");
    // The existing container is untouched.
    expect(JSON.parse((await t.rt(["state", "rc-e2"])).stdout).status).toBe("created");
    expect((await t.rt(["delete", "rc-e2"])).code).toBe(0);
  });

  test("a command gone since the entry was written: the Bun path reports it (exit 1, as runc)", async () => {
    const rootfs = makeRootfs();
    const tool = join(rootfs, "bin/tool");
    writeFileSync(tool, "#!/bin/sh\nexit 0\n");
    chmodSync(tool, 0o755);
    const b = t.bundle(["/bin/tool"], (s) => {
      s.root = { path: rootfs, readonly: true };
    });
    expect((await prime(b, "rc-f1")).code).toBe(0);
    unlinkSync(tool);
    const r = await t.rt(["run", "-b", b, "rc-f2"], { env: TRACE });
    expect(way(r.stderr)).toBe("fallback");
    expect(r.code).toBe(1);
    expect(quiet(r.stderr)).toBe("zoo-runtime: cannot run /bin/tool: command not found\n");
    expect(existsSync(join(t.root, "rc-f2"))).toBe(false);
  });

  test("a changed config is a miss, then a hit again; ZOO_RUN_CACHE=off never replays", async () => {
    const b = t.bundle(["sh", "-c", "echo one"]);
    await prime(b, "rc-g1");
    const cfg = join(b, "config.json");
    const spec = JSON.parse(readFileSync(cfg, "utf8"));
    spec.process.args = ["sh", "-c", "echo two"];
    writeFileSync(cfg, JSON.stringify(spec));
    const changed = await t.rt(["run", "-b", b, "rc-g2"], { env: TRACE });
    expect([way(changed.stderr), changed.stdout]).toEqual(["miss", "two\n"]);
    const again = await t.rt(["run", "-b", b, "rc-g3"], { env: TRACE });
    expect([way(again.stderr), again.stdout]).toEqual(["hit", "two\n"]);
    const off = await t.rt(["run", "-b", b, "rc-g4"], { env: { ...TRACE, ZOO_RUN_CACHE: "off" } });
    expect(way(off.stderr)).not.toBe("hit");
    expect([off.code, off.stdout]).toEqual([0, "two\n"]);
  });

  test("other commands and a detached run go through Bun untouched", async () => {
    const v = await run([RUNTIME, "--version"], { env: TRACE });
    expect(v.stdout).toStartWith("zoo-runtime version ");
    expect(v.code).toBe(0);
    // Under another name (tools that run "runc"), it is still zoo-runtime, not the zoo engine.
    const runc = join(t.work, "runc");
    symlinkSync(RUNTIME, runc);
    const asRunc = await run([runc, "--version"]);
    expect([asRunc.code, asRunc.stdout.split("\n")[0]]).toEqual([0, v.stdout.split("\n")[0]]);
    const b = t.bundle(["true"]);
    const d = await t.detached(["run", "-d", "-b", b, "rc-h1"]);
    expect(d.code).toBe(0);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "rc-h1"])).stdout).status === "stopped", "the detached container to stop");
    expect((await t.rt(["delete", "rc-h1"])).code).toBe(0);
  });
});

async function waitReady(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the container ended before it was ready: ${JSON.stringify(text)}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
}
