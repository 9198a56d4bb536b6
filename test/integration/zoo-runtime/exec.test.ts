// zoo-runtime exec: a new process inside a running busybox container, in its
// namespaces and cgroup, with the container's (or the caller's) process
// settings; foreground and detached; runc's refusals. Root and rootless.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import { ensureTestUser, IS_ROOT, makeRootfs, removeFixtures, run } from "../../helpers/env.ts";
import { RUNTIME, useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const NS = ["mnt", "pid", "net", "ipc", "uts"];

describe.skipIf(!IS_ROOT)("zoo-runtime exec (root)", () => {
  const t = useRuntimeSuite();
  const initPid = async (id: string) => JSON.parse((await t.rt(["state", id])).stdout).pid as number;

  test("the process joins every namespace and the cgroup of init, and exits with its code", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "e1"])).code).toBe(0);
    const init = await initPid("e1");
    const r = await t.rt(["exec", "e1", "sh", "-c", `for n in ${NS.join(" ")}; do readlink /proc/self/ns/$n; done; echo $$; hostname; echo err >&2; exit 3`]);
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, NS.length)).toEqual(NS.map((n) => readlinkSync(`/proc/${init}/ns/${n}`)));
    // A pid of the container's pid namespace (init is 1 there), and its hostname.
    expect(Number(lines[NS.length])).toBeGreaterThan(1);
    expect(lines[NS.length + 1]).toBe("zoo");

    const pidFile = join(t.work, "e1.pid");
    const d = await t.detached(["exec", "-d", "--pid-file", pidFile, "e1", "sleep", "60"]);
    expect([d.code, readFileSync(d.log, "utf8")]).toEqual([0, ""]);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(alive(pid)).toBe(true);
    // As with runc, no monitor of ours stays above it: a caller's subreaper (containerd's shim, conmon) reaps it.
    const ppid = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]!;
    expect(readFileSync(`/proc/${ppid}/comm`, "utf8")).not.toBe("zoo-shim\n");
    // Every hierarchy, v1 and v2: the same cgroup as init.
    expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${init}/cgroup`, "utf8"));
    expect(readlinkSync(`/proc/${pid}/root`)).toBe("/");
    expect(readlinkSync(`/proc/${pid}/ns/mnt`)).toBe(readlinkSync(`/proc/${init}/ns/mnt`));
    // delete --force takes the exec'd process with it.
    expect((await t.rt(["delete", "--force", "e1"])).code).toBe(0);
    await t.waitFor(() => !alive(pid), "the exec'd process to die with the container");
  });

  test("death by a signal is 128+N; a missing command is one line and exit 255, as runc's", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "e2"])).code).toBe(0);
    const k = await t.rt(["exec", "e2", "sh", "-c", "kill -TERM $$"]);
    expect([k.code, k.stderr]).toEqual([143, ""]);
    const nf = await t.rt(["exec", "e2", "no-such-command"]);
    expect([nf.code, nf.stderr]).toEqual([255, "zoo-runtime: cannot run no-such-command: command not found\n"]);
  });

  test("the container's capabilities, rlimits, no_new_privs and seccomp apply; flags change user, cwd, env, caps", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 777, hard: 888 }];
      s.process!.env = ["PATH=/bin", "FROM_CONFIG=1"];
      s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }] };
    });
    expect((await t.detached(["run", "-d", "-b", b, "e3"])).code).toBe(0);
    const show = 'grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\\t " " "; ulimit -n; ulimit -Hn; mkdir /dev/shm/d 2>&1 || true';
    const r = await t.rt(["exec", "e3", "sh", "-c", show]);
    expect(r.stderr).toBe("");
    // runc's default set: AUDIT_WRITE, KILL, NET_BIND_SERVICE = bits 29, 5, 10.
    expect(r.stdout).toBe(
      "CapEff: 0000000020000420\nCapBnd: 0000000020000420\nNoNewPrivs: 1\nSeccomp: 2\n777\n888\nmkdir: can't create directory '/dev/shm/d': Operation not permitted\n",
    );

    const f = await t.rt(["exec", "--cap", "CAP_NET_RAW", "--cap", "sys_chroot", "-u", "0:12", "--additional-gids", "33,44", "--cwd", "/dev", "-e", "X=y", "e3", "sh", "-c", 'grep CapEff /proc/self/status; echo $(id -u) $(id -g) $(id -G); pwd; echo $X $FROM_CONFIG']);
    expect(f.stderr).toBe("");
    // NET_RAW is bit 13, SYS_CHROOT bit 18.
    expect(f.stdout).toBe("CapEff:\t0000000020042420\n0 12 12 33 44\n/dev\ny 1\n");
    // The host's supplementary groups do not come along.
    const u = await t.rt(["exec", "--user", "1000", "e3", "sh", "-c", "echo $(id -u) $(id -g) $(id -G)"]);
    expect([u.code, u.stdout]).toEqual([0, "1000 0 0\n"]);
  });

  test("--process JSON replaces the process; capabilities it leaves out come from the container", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "e4"])).code).toBe(0);
    const file = join(t.work, "process.json");
    writeFileSync(file, JSON.stringify({ args: ["sh", "-c", "echo $A; id -u; pwd; grep CapEff /proc/self/status"], env: ["A=from-json", "PATH=/bin"], cwd: "/proc", user: { uid: 5, gid: 6 } }));
    const r = await t.rt(["exec", "--process", file, "e4"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    // uid 5 without ambient capabilities: the kernel empties the effective set at execve.
    expect(r.stdout).toBe("from-json\n5\n/proc\nCapEff:\t0000000000000000\n");
    const stdin = await t.rt(["exec", "-p", "-", "e4"], { stdin: JSON.stringify({ args: ["true"], cwd: "/", user: { uid: 0, gid: 0 } }) });
    expect([stdin.code, stdin.stderr]).toEqual([0, ""]);
    writeFileSync(file, JSON.stringify({ args: ["true"], cwd: "/", terminal: true }));
    // terminal: true in the document asks for a pty as -t does: detached, that needs a console socket.
    const tty = await t.rt(["exec", "-d", "--process", file, "e4"]);
    expect([tty.code, tty.stderr]).toEqual([255, "zoo-runtime: cannot allocate tty if zoo-runtime will detach without setting console socket\n"]);
    writeFileSync(file, "{nope");
    expect((await t.rt(["exec", "--process", file, "e4"])).stderr).toMatch(/^zoo-runtime: --process: invalid JSON: .*\n$/);
  });

  test("a process in a user namespace container is root there, not the caller's unmapped id", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    expect((await t.detached(["run", "-d", "-b", b, "e5"])).code).toBe(0);
    const init = await initPid("e5");
    const r = await t.rt(["exec", "e5", "sh", "-c", "echo $(id -u) $(id -g) $(id -G); readlink /proc/self/ns/user"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`0 0 0\n${readlinkSync(`/proc/${init}/ns/user`)}\n`);
  });

  test("with a cgroup namespace the process still lands in the container's cgroup, and sees it as /", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      s.linux!.namespaces!.push({ type: "cgroup" });
    });
    expect((await t.detached(["run", "-d", "-b", b, "cgns1"])).code).toBe(0);
    const init = await initPid("cgns1");
    const pidFile = join(t.work, "cgns1.pid");
    expect((await t.detached(["exec", "-d", "--pid-file", pidFile, "cgns1", "sleep", "60"])).code).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${init}/cgroup`, "utf8"));
    const r = await t.rt(["exec", "cgns1", "sh", "-c", "grep -E '^(0|[0-9]+:pids):' /proc/self/cgroup; readlink /proc/self/ns/cgroup"]);
    const [pids, v2, ns] = r.stdout.trim().split("\n");
    expect([pids?.replace(/^\d+:/, ""), v2, ns]).toEqual(["pids:/", "0::/", readlinkSync(`/proc/${init}/ns/cgroup`)]);
  });

  test("refusals: stopped, paused, missing, both --process and a command; exit 255 as runc's, 1 only without an ID", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "e6"])).code).toBe(0);
    expect((await t.rt(["pause", "e6"])).code).toBe(0);
    const p = await t.rt(["exec", "e6", "true"]);
    expect([p.code, p.stderr]).toEqual([255, "zoo-runtime: cannot exec in a paused container (use --ignore-paused to override)\n"]);
    expect((await t.rt(["resume", "e6"])).code).toBe(0);
    expect((await t.rt(["kill", "e6", "KILL"])).code).toBe(0);
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "e6"])).stdout).status === "stopped", "stopped");
    for (const [args, msg] of [
      [["exec", "e6", "true"], "cannot exec in a stopped container"],
      [["exec", "nope", "true"], "container does not exist"],
      [["exec", "e6"], "exec: expected ID and a COMMAND (or --process FILE), got only the ID"],
      [["exec", "--process", "/x.json", "e6", "true"], "exec: give either --process FILE or a COMMAND, not both"],
      [["exec", "-u", "root", "e6", "true"], 'exec: --user uid "root": want a number 0..4294967295'],
      [["exec", "--cap", "CAP_FLY", "e6", "true"], 'exec: --cap "CAP_FLY": unknown capability'],
    ] as const) {
      const r = await t.rt([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 255, `zoo-runtime: ${msg}\n`]);
    }
    const bare = await t.rt(["exec"]);
    expect([bare.code, bare.stderr]).toEqual([1, "zoo-runtime: exec: expected ID and a COMMAND (or --process FILE), got 0 arguments\n"]);
  });

  test("--preserve-fds passes fd 3 on; other fds of ours do not reach the process", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "e8"])).code).toBe(0);
    const out = join(t.work, "e8-fd3.txt");
    const fd3 = openSync(out, "w");
    const fd4 = openSync("/dev/null", "r");
    try {
      const run = (extra: string[]) =>
        Bun.spawn([RUNTIME, "--root", t.root, "exec", ...extra, "e8", "sh", "-c", "echo through-3 >&3; ls /proc/self/fd | tr '\\n' ' '"], { stdio: ["ignore", "pipe", "pipe", fd3, fd4] });
      const p = run(["--preserve-fds", "1"]);
      const [o, e] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
      expect([await p.exited, e]).toEqual([0, ""]);
      // 0-2, the preserved 3, and 4 for the directory ls reads: our fd 4 would push that to 5.
      expect(o.trim().split(" ")).toEqual(["0", "1", "2", "3", "4"]);
      const q = run([]);
      expect([await q.exited, await new Response(q.stderr).text()]).toEqual([0, "sh: 3: Bad file descriptor\n"]);
    } finally {
      closeSync(fd3);
      closeSync(fd4);
    }
    expect(readFileSync(out, "utf8")).toBe("through-3\n");
  });

  test("a foreground exec whose zoo-runtime is SIGKILLed takes its process with it", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "e7"])).code).toBe(0);
    const p = Bun.spawn([RUNTIME, "--root", t.root, "exec", "e7", "sleep", "61"], { stdio: ["ignore", "ignore", "ignore"] });
    const init = await initPid("e7");
    // The exec'd sleep is not init's child: find it in the container's cgroup.
    let pid = 0;
    await t.waitFor(async () => {
      const pids = JSON.parse((await t.rt(["ps", "--format", "json", "e7"])).stdout) as number[];
      pid = pids.find((x) => x !== init) ?? 0;
      return pid > 0;
    }, "the exec'd sleep");
    p.kill("SIGKILL");
    await p.exited;
    await t.waitFor(() => !alive(pid), "the exec'd process to be killed by its shim");
    expect(alive(init)).toBe(true);
  });
});

describe.skipIf(!IS_ROOT)("zoo-runtime exec (rootless)", () => {
  afterAll(() => removeFixtures());
  test("exec into a container the test user made: its user namespace, root there, no cgroup needed", async () => {
    const user = ensureTestUser();
    const work = mkdtempSync("/var/tmp/zoo-runtime-rootless-");
    chmodSync(work, 0o755);
    try {
      const rootfs = makeRootfs(user);
      const bundle = join(work, "bundle");
      const xdg = join(work, "xdg");
      mkdirSync(bundle);
      mkdirSync(xdg, { mode: 0o700 });
      Bun.spawnSync(["chown", `${user.uid}:${user.gid}`, bundle, xdg]);
      const spec = defaultSpec({ rootless: true, uid: user.uid, gid: user.gid });
      spec.root = { path: rootfs, readonly: true };
      spec.process!.args = ["sleep", "60"];
      writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
      const rt = (args: string[]) => run([RUNTIME, ...args], { asUser: user, env: { XDG_RUNTIME_DIR: xdg }, cwd: bundle });
      const log = join(xdg, "run.log");
      const r = await run(["sh", "-c", `${RUNTIME} run -d -b ${bundle} rl1 >${log} 2>&1`], { asUser: user, env: { XDG_RUNTIME_DIR: xdg } });
      expect([r.code, readFileSync(log, "utf8")]).toEqual([0, ""]);
      try {
        const init = JSON.parse((await rt(["state", "rl1"])).stdout).pid as number;
        const e = await rt(["exec", "rl1", "sh", "-c", "id -u; echo $$; for n in user mnt pid; do readlink /proc/self/ns/$n; done"]);
        expect(e.stderr).toBe("");
        expect(e.code).toBe(0);
        const [uid, pid, ...ns] = e.stdout.trim().split("\n");
        expect(uid).toBe("0");
        expect(Number(pid)).toBeGreaterThan(1);
        expect(ns).toEqual(["user", "mnt", "pid"].map((n) => readlinkSync(`/proc/${init}/ns/${n}`)));
        const ps = await rt(["ps", "--format", "json", "rl1"]);
        expect(JSON.parse(ps.stdout)).toContain(init);
        const g = await rt(["exec", "--additional-gids", "5", "rl1", "true"]);
        expect(g.code).toBe(255);
        expect(g.stderr).toMatch(/^zoo-runtime: exec: --additional-gids: the container's user namespace denies setgroups/);
      } finally {
        expect((await rt(["delete", "--force", "rl1"])).code).toBe(0);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
