// OCI hooks through zoo-runtime's lifecycle, with real containers: every hook
// appends its name, the state it read on stdin and the mount namespace it ran
// in to one log, so the order, the state and the place are all checked.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { Hook } from "../../../src/oci/spec.ts";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

interface Entry {
  name: string;
  status: string;
  pid: number;
  id: string;
  mnt: string;
}

describe.skipIf(!IS_ROOT)("zoo-runtime: OCI hooks (root)", () => {
  const t = useRuntimeSuite();
  const hostMnt = readlinkSync("/proc/self/ns/mnt");

  /** A dir shared with the container (at /hooklog) holding the log every hook appends to. */
  function logDir(): string {
    const d = join(t.work, `hooklog-${++t.n}`);
    mkdirSync(d);
    return d;
  }

  // Runs where the hook's path resolves: the host's /bin/sh, or the busybox sh
  // in the container's root for startContainer. `log` is the log's path there.
  const recorder = (name: string, log: string, extra = ""): Hook => ({
    path: "/bin/sh",
    args: ["sh", "-c", `s=$(cat); echo "${name} $(readlink /proc/self/ns/mnt) $s" >> ${log}${extra}`],
    env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
  });

  function entries(dir: string): Entry[] {
    const file = join(dir, "log");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const [name, mnt, ...json] = l.split(" ");
        const s = JSON.parse(json.join(" "));
        return { name: name!, mnt: mnt!, status: s.status, pid: s.pid, id: s.id };
      });
  }

  function hookBundle(dir: string, hooks: Record<string, Hook[]>, args = ["sh", "-c", "echo running; sleep 30"]): string {
    return t.bundle(args, (s) => {
      s.mounts!.push({ destination: "/hooklog", type: "bind", source: dir, options: ["rbind", "rw"] });
      s.hooks = hooks;
    });
  }

  test("all six run in lifecycle order, each with the state it should see, in the right namespace", async () => {
    const dir = logDir();
    const hostLog = join(dir, "log");
    const b = hookBundle(dir, {
      prestart: [recorder("prestart", hostLog)],
      createRuntime: [recorder("createRuntime", hostLog)],
      // Before pivot_root the container's mount namespace still shows the host's tree.
      createContainer: [recorder("createContainer", hostLog)],
      // In the container's root: /hooklog exists only there.
      startContainer: [recorder("startContainer", "/hooklog/log")],
      poststart: [recorder("poststart", hostLog)],
      poststop: [recorder("poststop", hostLog)],
    });
    const c = await t.detached(["create", "-b", b, "h1"]);
    expect([c.code, readFileSync(c.log, "utf8")]).toEqual([0, ""]);
    const pid: number = JSON.parse((await t.rt(["state", "h1"])).stdout).pid;
    const ctrMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
    expect(ctrMnt).not.toBe(hostMnt);
    expect(entries(dir)).toEqual([
      { name: "prestart", status: "creating", pid, id: "h1", mnt: hostMnt },
      { name: "createRuntime", status: "creating", pid, id: "h1", mnt: hostMnt },
      { name: "createContainer", status: "creating", pid, id: "h1", mnt: ctrMnt },
    ]);

    const s = await t.rt(["start", "h1"]);
    expect([s.code, s.stderr]).toEqual([0, ""]);
    await t.waitFor(() => readFileSync(c.log, "utf8") === "running\n", "the process");
    expect(entries(dir).slice(3)).toEqual([
      { name: "startContainer", status: "created", pid, id: "h1", mnt: ctrMnt },
      { name: "poststart", status: "running", pid, id: "h1", mnt: hostMnt },
    ]);

    expect((await t.rt(["kill", "h1", "KILL"])).code).toBe(0);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "h1"])).stdout).status === "stopped", "stopped");
    const d = await t.rt(["delete", "h1"]);
    expect([d.code, d.stderr]).toEqual([0, ""]);
    expect(entries(dir).slice(5)).toEqual([{ name: "poststop", status: "stopped", pid, id: "h1", mnt: hostMnt }]);
  });

  test("a failing createRuntime hook aborts create, names the hook, leaves nothing; poststop still runs", async () => {
    const dir = logDir();
    const hostLog = join(dir, "log");
    const b = hookBundle(dir, {
      prestart: [recorder("prestart", hostLog)],
      createRuntime: [recorder("createRuntime", hostLog), { path: "/bin/sh", args: ["sh", "-c", "echo boom >&2; exit 3"] }],
      createContainer: [recorder("createContainer", hostLog)],
      poststop: [recorder("poststop", hostLog)],
    });
    const c = await t.detached(["create", "-b", b, "h2"]);
    expect(c.code).toBe(1);
    expect(readFileSync(c.log, "utf8")).toBe("zoo-runtime: createRuntime hook #1 (/bin/sh) exited with status 3: boom\n");
    expect(entries(dir).map((e) => [e.name, e.status])).toEqual([
      ["prestart", "creating"],
      ["createRuntime", "creating"],
      ["poststop", "stopped"],
    ]);
    expect(existsSync(join(t.root, "h2"))).toBe(false);
    expect((await t.rt(["list", "--quiet"])).stdout).toBe("");
  });

  test("a hook past its timeout is killed (with what it started) and create fails", async () => {
    const dir = logDir();
    const pidFile = join(dir, "sleeper.pid");
    const b = hookBundle(dir, {
      createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `sleep 60 & echo $! > ${pidFile}; wait`], timeout: 1 }],
    });
    const t0 = Date.now();
    const c = await t.detached(["create", "-b", b, "h3"]);
    const took = Date.now() - t0;
    expect(c.code).toBe(1);
    expect(readFileSync(c.log, "utf8")).toBe("zoo-runtime: createRuntime hook #0 (/bin/sh) timed out after 1 s and was killed\n");
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(10_000);
    const sleeper = Number(readFileSync(pidFile, "utf8"));
    await t.waitFor(() => !existsSync(`/proc/${sleeper}`) || /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${sleeper}/stat`, "utf8")), "the hook's child to die");
    expect(existsSync(join(t.root, "h3"))).toBe(false);
  });

  test("startContainer failing stops the container and fails start; poststart failing is only a warning", async () => {
    const dir = logDir();
    const bad = hookBundle(dir, { startContainer: [{ path: "/bin/false" }] });
    expect((await t.detached(["create", "-b", bad, "h4"])).code).toBe(0);
    const s = await t.rt(["start", "h4"]);
    expect([s.code, s.stderr]).toEqual([1, "zoo-runtime: startContainer hook #0 (/bin/false) exited with status 1\n"]);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "h4"])).stdout).status === "stopped", "stopped");
    expect((await t.rt(["delete", "h4"])).code).toBe(0);

    const warn = hookBundle(dir, { poststart: [{ path: "/bin/sh", args: ["sh", "-c", "echo nope >&2; exit 2"] }, recorder("poststart", join(dir, "log"))] });
    expect((await t.detached(["create", "-b", warn, "h5"])).code).toBe(0);
    const s2 = await t.rt(["start", "h5"]);
    expect([s2.code, s2.stderr]).toEqual([0, "zoo-runtime: warning: poststart hook #0 (/bin/sh) exited with status 2: nope\n"]);
    expect(JSON.parse((await t.rt(["state", "h5"])).stdout).status).toBe("running");
    // The hook after the failed one still ran.
    expect(entries(dir).map((e) => e.name)).toEqual(["poststart"]);
  });

  test("bad hooks are refused by field before anything is made", async () => {
    const dir = logDir();
    for (const [hooks, msg] of [
      [{ createRuntime: [{ path: "relative/hook" }] }, 'hooks.createRuntime[0].path: must be an absolute path, got "relative/hook"'],
      [{ poststop: [{ path: "/bin/true", timeout: 0 }] }, "hooks.poststop[0].timeout: must be a whole number of seconds above 0, got 0"],
      [{ preStart: [{ path: "/bin/true" }] }, "hooks.preStart: unknown hook type"],
    ] as const) {
      const b = hookBundle(dir, hooks as never);
      const r = await t.rt(["create", "-b", b, "h6"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toStartWith(`zoo-runtime: ${msg}`);
      expect(existsSync(join(t.root, "h6"))).toBe(false);
    }
  });
});
