// zoo-runtime as runc's callers drive it: real busybox containers through
// create/start/state/kill/delete/run, and nothing left behind afterwards.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import type { Spec } from "../../../src/oci/spec.ts";
import { removeRunCacheEntries } from "../../helpers/run-cache.ts";
import { DIST, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, type LeakSnapshot } from "../../helpers/env.ts";

const RUNTIME = join(DIST, "zoo-runtime");

describe.skipIf(!IS_ROOT)("zoo-runtime lifecycle (root)", () => {
  let fs: string;
  let work: string;
  let root: string;
  let before: LeakSnapshot;
  let n = 0;
  beforeAll(() => {
    requireBuild();
    fs = makeRootfs();
    work = mkdtempSync("/var/tmp/zoo-runtime-test-");
    root = join(work, "state");
    before = leakSnapshot();
  });
  afterEach(async () => {
    // Whatever a test left: delete it so the next test starts clean, then check nothing leaked.
    for (const id of (await rt(["list", "--quiet"])).stdout.split("\n").filter(Boolean)) await rt(["delete", "--force", id]);
    expect(await addedSince(before)).toEqual({ mounts: [], cgroups: [], tmpdirs: [] });
  });
  afterAll(() => {
    // Foreground runs leave run cache entries keyed on our --root.
    expect(removeRunCacheEntries(root)).toBe(0);
    rmSync(work, { recursive: true, force: true });
    removeFixtures();
  });

  /**
   * What appeared since `before` (polling briefly while cgroups are released).
   * Only additions count: other sessions on this host may start and end
   * containers meanwhile, and what they remove is not ours to report.
   */
  async function addedSince(b: LeakSnapshot): Promise<LeakSnapshot> {
    const added = () => {
      const now = leakSnapshot();
      return {
        mounts: now.mounts.filter((m) => !b.mounts.includes(m)),
        cgroups: now.cgroups.filter((c) => !b.cgroups.includes(c)),
        tmpdirs: now.tmpdirs.filter((t) => !b.tmpdirs.includes(t)),
      };
    };
    let a = added();
    for (let i = 0; i < 20 && a.mounts.length + a.cgroups.length + a.tmpdirs.length > 0; i++) {
      await Bun.sleep(50);
      a = added();
    }
    return a;
  }

  const rt = (args: string[]) => run([RUNTIME, "--root", root, ...args]);

  /** A bundle whose config is runc-style defaults with `args`, changed by `edit`. */
  function bundle(args: string[], edit: (s: Spec) => void = () => {}): string {
    const dir = join(work, `bundle-${++n}`);
    mkdirSync(dir);
    const spec = defaultSpec({ rootless: false, uid: 0, gid: 0 });
    spec.root = { path: fs, readonly: true };
    spec.process!.args = args;
    edit(spec);
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    return dir;
  }

  /** create/run -d leave the container holding their stdout: send it to a file, not a pipe we wait on. */
  async function detachedCmd(args: string[]): Promise<{ code: number | null; log: string }> {
    const log = join(work, `out-${++n}.log`);
    const fd = openSync(log, "w");
    try {
      const p = Bun.spawn([RUNTIME, "--root", root, ...args], { stdio: ["ignore", fd, fd] });
      await p.exited;
      return { code: p.exitCode, log };
    } finally {
      closeSync(fd);
    }
  }

  async function stateOf(id: string): Promise<{ status: string; pid: number; id: string; bundle: string }> {
    const r = await rt(["state", id]);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout);
  }

  async function waitFor(pred: () => Promise<boolean> | boolean, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await pred()) return;
      await Bun.sleep(25);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const alive = (pid: number) => {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, "utf8");
      return !/^\d+ \(.*\) [ZX]/.test(st);
    } catch {
      return false;
    }
  };

  test("create → created → start → running → kill → stopped → delete, nothing left", async () => {
    const b = bundle(["sh", "-c", "echo hello from $$; sleep 30"]);
    const c = await detachedCmd(["create", "--bundle", b, "lc1"]);
    expect(readFileSync(c.log, "utf8")).toBe("");
    expect(c.code).toBe(0);

    const s1 = await stateOf("lc1");
    expect(s1).toMatchObject({ id: "lc1", status: "created", bundle: b });
    expect(s1.pid).toBeGreaterThan(0);
    expect(alive(s1.pid)).toBe(true);
    const shimPid: number = JSON.parse(readFileSync(join(root, "lc1", "state.json"), "utf8")).shimPid;
    expect(alive(shimPid)).toBe(true);
    // Still blocked before exec: nothing printed yet.
    expect(readFileSync(c.log, "utf8")).toBe("");

    expect((await rt(["start", "lc1"])).code).toBe(0);
    expect((await stateOf("lc1")).status).toBe("running");
    await waitFor(() => readFileSync(c.log, "utf8") === "hello from 1\n", "the container's output");

    expect((await rt(["kill", "lc1", "KILL"])).code).toBe(0);
    await waitFor(async () => (await stateOf("lc1")).status === "stopped", "stopped");
    expect((await stateOf("lc1")).pid).toBe(0);

    const d = await rt(["delete", "lc1"]);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(existsSync(join(root, "lc1"))).toBe(false);
    expect(alive(s1.pid)).toBe(false);
    expect(alive(shimPid)).toBe(false);
    expect((await rt(["state", "lc1"])).stderr).toBe("zoo-runtime: container does not exist\n");
  });

  test("run in the foreground returns the container's exit code and deletes it", async () => {
    const b = bundle(["sh", "-c", "echo out; echo err >&2; exit 7"]);
    const r = await rt(["run", "-b", b, "fg1"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(7);
    expect(existsSync(join(root, "fg1"))).toBe(false);
  });

  test("--no-pivot: the rootfs is moved over / and chrooted into; run and create/start both take it", async () => {
    // The first mountinfo line is the root as the process sees it: the rootfs itself, at /.
    const show = "head -1 /proc/self/mountinfo | cut -d' ' -f4,5; test -e /work -o -e /var/tmp/zoo-runtime-test-* && echo host-visible; echo ok";
    const b = bundle(["sh", "-c", show]);
    const r = await rt(["run", "--no-pivot", "-b", b, "np1"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${fs} /\nok\n`, ""]);
    const c = await detachedCmd(["create", "--no-pivot", "-b", bundle(["sh", "-c", show]), "np2"]);
    expect(c.code).toBe(0);
    expect((await rt(["start", "np2"])).code).toBe(0);
    for (let i = 0; i < 100 && (await stateOf("np2")).status !== "stopped"; i++) await Bun.sleep(20);
    expect(readFileSync(c.log, "utf8")).toBe(`${fs} /\nok\n`);
    expect((await rt(["delete", "np2"])).code).toBe(0);
  });

  test("root.path is bound onto itself: the state names no mount point, and the rootfs outlives its containers as it was", async () => {
    // Just busybox, and /proc (the start fifo is reached through it).
    const own = join(work, "own-rootfs");
    mkdirSync(join(own, "bin"), { recursive: true });
    copyFileSync(join(fs, "bin", "busybox"), join(own, "bin", "busybox"));
    chmodSync(join(own, "bin", "busybox"), 0o755);
    const b = bundle(["/bin/busybox", "sh", "-c", "exit 5"], (s) => {
      s.root = { path: own };
      s.mounts = [{ destination: "/proc", type: "proc", source: "proc" }];
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
    });
    const c = await detachedCmd(["create", "-b", b, "own1"]);
    expect([c.code, readFileSync(c.log, "utf8")]).toEqual([0, ""]);
    expect(JSON.parse(readFileSync(join(root, "own1", "state.json"), "utf8")).rootMount).toBeNull();
    const d = await rt(["delete", "--force", "own1"]);
    expect([d.code, d.stderr]).toEqual([0, ""]);
    // Twice: through Bun, then (with an entry) through the run cache.
    for (const id of ["own2", "own2"]) expect(await rt(["run", "-b", b, id])).toMatchObject({ code: 5, stderr: "" });
    expect(readdirSync(own).sort()).toEqual(["bin", "proc"]);
    expect(readdirSync(join(own, "proc"))).toEqual([]);
  });

  test("run without a pid namespace: what the process left running is killed with its cgroup", async () => {
    // No pid namespace, so init's exit takes nothing with it: the end of `run` must find the sleep.
    const b = bundle(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!; exit 4"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid");
      s.mounts = s.mounts!.map((m) => (m.destination === "/proc" ? { destination: "/proc", type: "bind", source: "/proc", options: ["rbind"] } : m));
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
    });
    const r = await rt(["run", "-b", b, "left1"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(4);
    const sleeper = Number(r.stdout.trim());
    expect(sleeper).toBeGreaterThan(1);
    expect(alive(sleeper)).toBe(false);
    expect(existsSync(join(root, "left1"))).toBe(false);
  });

  test("run -d leaves it running and writes --pid-file; kill sends SIGTERM by default", async () => {
    const b = bundle(["sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.05; done"]);
    const pidFile = join(work, "d1.pid");
    const r = await detachedCmd(["run", "-d", "-b", b, "--pid-file", pidFile, "d1"]);
    expect(readFileSync(r.log, "utf8")).toBe("");
    expect(r.code).toBe(0);
    const s = await stateOf("d1");
    expect(s.status).toBe("running");
    expect(Number(readFileSync(pidFile, "utf8"))).toBe(s.pid);

    expect((await rt(["kill", "d1"])).code).toBe(0);
    await waitFor(async () => (await stateOf("d1")).status === "stopped", "stopped after SIGTERM");
    expect((await rt(["delete", "d1"])).code).toBe(0);
  });

  test("the state machine refuses what runc refuses, with runc's messages", async () => {
    const b = bundle(["sleep", "30"]);
    expect((await detachedCmd(["create", "-b", b, "sm1"])).code).toBe(0);
    const dup = await detachedCmd(["create", "-b", b, "sm1"]);
    expect(dup.code).toBe(1);
    expect(readFileSync(dup.log, "utf8")).toBe("zoo-runtime: container with given ID already exists\n");

    const notPaused = await rt(["resume", "sm1"]);
    expect([notPaused.code, notPaused.stderr]).toEqual([1, "zoo-runtime: container not paused\n"]);
    expect((await rt(["start", "sm1"])).code).toBe(0);
    const again = await rt(["start", "sm1"]);
    expect([again.code, again.stderr]).toEqual([1, "zoo-runtime: cannot start an already running container\n"]);

    const del = await rt(["delete", "sm1"]);
    expect([del.code, del.stderr]).toEqual([1, "zoo-runtime: cannot delete container sm1 that is not stopped: running\n"]);
    expect((await stateOf("sm1")).status).toBe("running");

    expect((await rt(["kill", "sm1", "SIGKILL"])).code).toBe(0);
    await waitFor(async () => (await stateOf("sm1")).status === "stopped", "stopped");
    const k = await rt(["kill", "sm1", "9"]);
    expect([k.code, k.stderr]).toEqual([1, "zoo-runtime: container not running\n"]);
    const st = await rt(["start", "sm1"]);
    expect([st.code, st.stderr]).toEqual([1, "zoo-runtime: cannot start a container that has stopped\n"]);
    for (const [cmd, msg] of [["pause", "container not running"], ["resume", "container not paused"]]) {
      const r = await rt([cmd!, "sm1"]);
      expect([cmd, r.code, r.stderr]).toEqual([cmd, 1, `zoo-runtime: ${msg}\n`]);
    }
    // runc's --all signals what is left in the cgroup, nothing here: not an error.
    const all = await rt(["kill", "--all", "sm1", "KILL"]);
    expect([all.code, all.stderr]).toEqual([0, ""]);
    expect((await rt(["delete", "sm1"])).code).toBe(0);

    for (const cmd of [["state", "nope"], ["start", "nope"], ["kill", "nope"], ["delete", "nope"]]) {
      const r = await rt(cmd);
      expect([cmd[0], r.code, r.stderr]).toEqual([cmd[0], 1, "zoo-runtime: container does not exist\n"]);
    }
  });

  test("delete --force kills a running container; delete removes a created one", async () => {
    const b = bundle(["sleep", "30"]);
    expect((await detachedCmd(["run", "-d", "-b", b, "f1"])).code).toBe(0);
    const pid = (await stateOf("f1")).pid;
    expect((await rt(["delete", "--force", "f1"])).code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect((await detachedCmd(["create", "-b", b, "f2"])).code).toBe(0);
    const pid2 = (await stateOf("f2")).pid;
    expect((await rt(["delete", "f2"])).code).toBe(0);
    expect(alive(pid2)).toBe(false);
  });

  test("the container outlives create and starts later", async () => {
    const b = bundle(["sh", "-c", "echo started; sleep 30"]);
    const c = await detachedCmd(["create", "-b", b, "sv1"]);
    expect(c.code).toBe(0);
    // create has exited (awaited above); its container waits on its own.
    await Bun.sleep(200);
    const s = await stateOf("sv1");
    expect(s.status).toBe("created");
    expect(alive(s.pid)).toBe(true);
    expect((await rt(["start", "sv1"])).code).toBe(0);
    await waitFor(() => readFileSync(c.log, "utf8") === "started\n", "output after start");
  });

  test("concurrent creates of different ids all succeed; list --format json shows them", async () => {
    const b = bundle(["sleep", "30"]);
    const ids = ["cc1", "cc2", "cc3", "cc4"];
    const results = await Promise.all(ids.map((id) => detachedCmd(["create", "-b", b, id])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const l = await rt(["list", "--format", "json"]);
    const list = JSON.parse(l.stdout) as { id: string; status: string; pid: number }[];
    expect(list.map((s) => [s.id, s.status])).toEqual(ids.map((id) => [id, "created"]));
    expect(new Set(list.map((s) => s.pid)).size).toBe(4);
  });

  test("a cgroupsPath below our own cgroup gets the limits and is removed by delete", async () => {
    const b = bundle(["sleep", "30"], (s) => {
      s.linux!.cgroupsPath = "zoo-rt-parent/zoo-rt-cg1";
      s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 20 } };
    });
    expect((await detachedCmd(["create", "-b", b, "cg1"])).code).toBe(0);
    const pid = (await stateOf("cg1")).pid;
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
    const pidsLine = lines.find((l) => /^\d+:pids:/.test(l) || l.startsWith("0::"));
    expect(pidsLine).toMatch(/\/zoo-rt-parent\/zoo-rt-cg1$/);
    const mem = lines.find((l) => /^\d+:memory:/.test(l));
    if (mem) {
      const dir = join("/sys/fs/cgroup/memory", mem.split(":")[2]!);
      expect(readFileSync(join(dir, "memory.limit_in_bytes"), "utf8").trim()).toBe(String(64 << 20));
    }
    expect((await rt(["delete", "-f", "cg1"])).code).toBe(0);
  });

  test("an RLIMIT_NOFILE above the host's hard limit fails at create, naming it", async () => {
    const b = bundle(["true"], (s) => {
      s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 1 << 30 }];
    });
    const r = await detachedCmd(["create", "-b", b, "rl1"]);
    const err = readFileSync(r.log, "utf8");
    expect(r.code).toBe(1);
    expect(err).toMatch(/^zoo-runtime: process\.rlimits\[0\]: RLIMIT_NOFILE hard limit 1073741824 is above this host's hard limit \d+/);
    expect(err.split("\n").length).toBe(2);
    expect(existsSync(join(root, "rl1"))).toBe(false);
  });

  test("a command that is not in the rootfs fails create, as runc's does, not the start nobody hears", async () => {
    for (const [cmd, id] of [["/no/such/cmd", "nf1"], ["no-such-cmd", "nf2"]] as const) {
      const r = await detachedCmd(["create", "-b", bundle([cmd]), id]);
      expect([r.code, readFileSync(r.log, "utf8")]).toEqual([1, `zoo-runtime: cannot run ${cmd}: command not found\n`]);
      expect(existsSync(join(root, id))).toBe(false);
    }
  });

  test("bad config is one line, exit 1, nothing created", async () => {
    const b = bundle(["true"], (s) => {
      s.process!.cwd = "relative";
    });
    const r = await rt(["--log", join(work, "err.log"), "--log-format", "json", "create", "-b", b, "bad1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('zoo-runtime: process.cwd: must be an absolute path, got "relative"\n');
    const logged = JSON.parse(readFileSync(join(work, "err.log"), "utf8").trim().split("\n").pop()!);
    expect(logged.level).toBe("error");
    expect(logged.msg).toMatch(/^process.cwd/);
    expect(typeof logged.time).toBe("string");
    expect(existsSync(join(root, "bad1"))).toBe(false);
  });

  test("spec writes a config.json that create and run accept", async () => {
    const dir = join(work, "specbundle");
    mkdirSync(dir);
    symlinkSync(fs, join(dir, "rootfs"));
    const s = await rt(["spec", "--bundle", dir]);
    expect([s.code, s.stderr]).toEqual([0, ""]);
    const spec = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(spec.process.capabilities.bounding).toEqual(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    spec.process.args = ["sh", "-c", "hostname; exit 4"];
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    const r = await rt(["run", "-b", dir, "spec1"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([4, "zoo\n", ""]);
    const again = await rt(["spec", "--bundle", dir]);
    expect(again.code).toBe(1);
  });

  test("a listed user namespace gets the config's mappings; root inside is the mapped id", async () => {
    const b = bundle(["sh", "-c", "id -u; cat /proc/self/uid_map; touch /dev/shm/x && stat -c %u /dev/shm/x"], (s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const r = await rt(["run", "-b", b, "us1"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").map((l) => l.trim().replace(/\s+/g, " "))).toEqual(["0", "0 100000 65536", "0", ""]);
    expect(r.code).toBe(0);
  });

  test("only listed namespaces are made: without pid and user the process sees host pids and ids", async () => {
    const b = bundle(["sh", "-c", "echo $$; cat /proc/self/uid_map"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid");
      // A fresh proc needs a pid namespace of our own; bind the host's instead.
      s.mounts = s.mounts!.map((m) => (m.destination === "/proc" ? { destination: "/proc", type: "bind", source: "/proc", options: ["rbind"] } : m));
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
    });
    const r = await rt(["run", "-b", b, "ns1"]);
    expect(r.stderr).toBe("");
    const [pid, map] = r.stdout.split("\n");
    expect(Number(pid)).toBeGreaterThan(1);
    expect(map!.trim().replace(/\s+/g, " ")).toBe("0 0 4294967295");
    expect(r.code).toBe(0);
  });

  test("kill --all signals every process in the container's cgroup", async () => {
    const b = bundle(["sh", "-c", "sleep 30 & exec sleep 31"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid");
      s.mounts = s.mounts!.map((m) => (m.destination === "/proc" ? { destination: "/proc", type: "bind", source: "/proc", options: ["rbind"] } : m));
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
    });
    expect((await detachedCmd(["run", "-d", "-b", b, "ka1"])).code).toBe(0);
    const init = (await stateOf("ka1")).pid;
    const cg = readFileSync(`/proc/${init}/cgroup`, "utf8").split("\n").find((l) => /^\d+:pids:/.test(l))!.split(":")[2]!;
    const procs = () => readFileSync(join("/sys/fs/cgroup/pids", cg, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    await waitFor(() => procs().length === 2, "both sleeps");
    const others = procs().filter((p) => p !== init);
    expect((await rt(["kill", "--all", "ka1", "KILL"])).code).toBe(0);
    await waitFor(() => !alive(init) && others.every((p) => !alive(p)), "every process gone");
    expect((await rt(["delete", "ka1"])).code).toBe(0);
  });

  test("a stopped container whose processes outlived init (no pid namespace): ps lists them and kill --all ends them, as runc", async () => {
    const b = bundle(["sh", "-c", "sleep 30 & echo $! > /dev/shm/left; exit 0"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid");
      s.mounts = s.mounts!.map((m) => (m.destination === "/proc" ? { destination: "/proc", type: "bind", source: "/proc", options: ["rbind"] } : m));
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
    });
    expect((await detachedCmd(["run", "-d", "-b", b, "left1"])).code).toBe(0);
    await waitFor(async () => (await stateOf("left1")).status === "stopped", "init to exit");
    let left: number[] = [];
    await waitFor(async () => (left = JSON.parse((await rt(["ps", "--format", "json", "left1"])).stdout)).length === 1, "the sleep left in the cgroup");
    expect(alive(left[0]!)).toBe(true);
    const one = await rt(["kill", "left1", "KILL"]);
    expect([one.code, one.stderr]).toEqual([1, "zoo-runtime: container not running\n"]);
    expect((await rt(["kill", "--all", "left1", "KILL"])).code).toBe(0);
    await waitFor(() => !alive(left[0]!), "the sleep to die");
    expect((await rt(["delete", "left1"])).code).toBe(0);
  });

  test("--preserve-fds passes fd 3 on to the process", async () => {
    const b = bundle(["sh", "-c", "echo through-fd-3 >&3"]);
    const out = join(work, "fd3.txt");
    const fd3 = openSync(out, "w");
    try {
      const p = Bun.spawn([RUNTIME, "--root", root, "run", "--preserve-fds", "1", "-b", b, "pf1"], { stdio: ["ignore", "ignore", "pipe", fd3] });
      const err = await new Response(p.stderr).text();
      await p.exited;
      expect([p.exitCode, err]).toEqual([0, ""]);
    } finally {
      closeSync(fd3);
    }
    expect(readFileSync(out, "utf8")).toBe("through-fd-3\n");
  });

  test("delete --force clears the directory a killed create left without state", async () => {
    mkdirSync(join(root, "half1"), { recursive: true });
    const plain = await rt(["delete", "half1"]);
    expect([plain.code, plain.stderr]).toEqual([1, "zoo-runtime: container does not exist\n"]);
    expect((await rt(["delete", "-f", "half1"])).code).toBe(0);
    expect(existsSync(join(root, "half1"))).toBe(false);
  });

  test("bad usage: one line, exit 1, no stack trace", async () => {
    for (const [args, msg] of [
      [["frob"], 'unknown command "frob" (see zoo-runtime --help)'],
      [["create"], "create: expected ID, got 0 arguments"],
      [["kill", "x", "NOPE"], 'unknown signal "NOPE"'],
      [["create", "-b", "/nonexistent-bundle", "x"], "JSON specification file config.json not found"],
      [["create", "-b", work, "a/b"], 'invalid container ID format: "a/b"'],
    ] as const) {
      const r = await rt([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, `zoo-runtime: ${msg}\n`]);
    }
  });

  test("features prints JSON in the OCI features shape", async () => {
    const r = await rt(["features"]);
    expect(r.code).toBe(0);
    const f = JSON.parse(r.stdout);
    expect(f.ociVersionMin).toBe("1.0.0");
    expect(f.linux.namespaces).toContain("user");
    expect(f.linux.cgroup.systemd).toBe(true);
    expect(f.linux.cgroup.rdma).toBe(true);
    expect(f.annotations["org.zoo.runtime.unsupported"]).not.toContain("linux.resources");
    expect(f.linux.seccomp.enabled).toBe(true);
    expect(f.linux.capabilities).toContain("CAP_SYS_ADMIN");
    // linux.timeOffsets is honoured with the time namespace, so not listed as refused.
    expect(f.linux.namespaces).toContain("time");
    expect(f.annotations["org.zoo.runtime.unsupported"]).not.toContain("timeOffsets");
  });
});
