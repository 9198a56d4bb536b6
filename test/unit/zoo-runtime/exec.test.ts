// zoo-runtime exec, the pure parts: flags, the process it runs (runc's merge
// rules) and the plan (join, clone, credentials, security steps in order).
import { describe, expect, test } from "bun:test";
import { parseExec, type ExecArgs } from "../../../src/cli/zoo-runtime/exec.ts";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import type { Process } from "../../../src/oci/spec.ts";
import { encodePlan } from "../../../src/plan/encode.ts";
import { Opt } from "../../../src/plan/ids.ts";
import { toRecords } from "../../../src/plan/ops.ts";
import { buildExecPlan, type ExecPlanContext } from "../../../src/runtime/oci/exec-plan.ts";
import { execProcess, parseProcessJson } from "../../../src/runtime/oci/exec-process.ts";
import { CLONE } from "../../../src/sys/constants.ts";

const containerProcess = (): Process => defaultSpec({ rootless: false, uid: 0, gid: 0 }).process!;
const args = (over: Partial<ExecArgs> = {}): ExecArgs => ({
  id: "c",
  args: ["sh"],
  detach: false,
  env: [],
  additionalGids: [],
  caps: [],
  noNewPrivs: false,
  preserveFds: 0,
  ignorePaused: false,
  tty: false,
  ...over,
});

describe("parseExec", () => {
  test("runc's spellings; everything after the id is the command, dashes included", () => {
    const a = parseExec(["-d", "--pid-file=/p", "-e", "A=1", "--env", "B=2", "-u", "10:20", "--cwd", "/w", "--cap", "net_raw", "-g", "5,6", "--additional-gids", "7", "--no-new-privs", "c1", "ls", "-l", "--all"]);
    expect(a).toMatchObject({ id: "c1", args: ["ls", "-l", "--all"], detach: true, pidFile: "/p", env: ["A=1", "B=2"], user: { uid: 10, gid: 20 }, cwd: "/w", caps: ["CAP_NET_RAW"], additionalGids: [5, 6, 7], noNewPrivs: true });
    expect(parseExec(["--process", "/p.json", "c1"])).toMatchObject({ id: "c1", processFile: "/p.json", args: [] });
    expect(parseExec(["-u", "7", "c", "id"]).user).toEqual({ uid: 7 });
    expect(parseExec(["-t", "-d", "--console-socket", "/s", "c", "sh"])).toMatchObject({ tty: true, detach: true, consoleSocket: "/s" });
    // Accepted and ignored, like runc without SELinux.
    expect(parseExec(["--process-label", "system_u:x", "c", "true"]).args).toEqual(["true"]);
  });
  test("what zoo cannot do yet, or what makes no sense, is one clear line", () => {
    expect(() => parseExec(["--apparmor", "p", "c", "sh"])).toThrow('exec: --apparmor "p": AppArmor is not supported');
    expect(() => parseExec(["c"])).toThrow("exec: expected ID and a COMMAND (or --process FILE), got only the ID");
    expect(() => parseExec([])).toThrow("exec: expected ID and a COMMAND (or --process FILE), got 0 arguments");
    expect(() => parseExec(["-e", "NOEQUALS", "c", "sh"])).toThrow('exec: --env "NOEQUALS": want NAME=VALUE');
    expect(() => parseExec(["-u", "a:b", "c", "sh"])).toThrow('exec: --user uid "a": want a number');
    expect(() => parseExec(["-u", "1:2:3", "c", "sh"])).toThrow("want UID or UID:GID (numbers)");
    expect(() => parseExec(["--cwd", "rel", "c", "sh"])).toThrow('exec: --cwd "rel": want an absolute path');
    expect(() => parseExec(["--cap", "CAP_NOPE", "c", "sh"])).toThrow('exec: --cap "CAP_NOPE": unknown capability');
  });
});

describe("execProcess", () => {
  test("from flags: the container's process with the new args, env appended, user and cwd replaced", () => {
    const p = execProcess(containerProcess(), args({ args: ["id"], env: ["X=1"], user: { uid: 5 }, cwd: "/tmp", additionalGids: [9] }));
    expect(p.args).toEqual(["id"]);
    expect(p.env).toEqual([...containerProcess().env!, "X=1"]);
    expect(p.user).toEqual({ uid: 5, gid: 0, additionalGids: [9] });
    expect(p.cwd).toBe("/tmp");
    expect(p.capabilities).toEqual(containerProcess().capabilities);
    expect(p.rlimits).toEqual(containerProcess().rlimits);
    expect(p.noNewPrivileges).toBe(true);
  });
  test("--cap adds to bounding, effective and permitted; to ambient only with inheritable ones", () => {
    const p = execProcess(containerProcess(), args({ caps: ["CAP_NET_RAW"] }));
    expect(p.capabilities!.bounding).toContain("CAP_NET_RAW");
    expect(p.capabilities!.effective).toContain("CAP_NET_RAW");
    expect(p.capabilities!.permitted).toContain("CAP_NET_RAW");
    expect(p.capabilities!.ambient).toBeUndefined();
    const base = containerProcess();
    base.capabilities!.inheritable = ["CAP_KILL"];
    const q = execProcess(base, args({ caps: ["CAP_NET_RAW"] }));
    expect(q.capabilities!.inheritable).toEqual(["CAP_KILL", "CAP_NET_RAW"]);
    expect(q.capabilities!.ambient).toEqual(["CAP_NET_RAW"]);
  });
  test("--process: its own settings; caps, rlimits and no_new_privs it leaves out come from the container", () => {
    const base = containerProcess();
    base.noNewPrivileges = false;
    const json = parseProcessJson(JSON.stringify({ args: ["true"], cwd: "/", user: { uid: 1, gid: 2 }, noNewPrivileges: true }));
    const p = execProcess(base, args({ args: [] }), json);
    expect(p.args).toEqual(["true"]);
    expect(p.env).toEqual([]);
    expect(p.capabilities).toEqual(base.capabilities);
    expect(p.rlimits).toEqual(base.rlimits);
    expect(p.noNewPrivileges).toBe(true);
    const own = execProcess(base, args({ args: [] }), parseProcessJson(JSON.stringify({ args: ["true"], cwd: "/", capabilities: { bounding: [] } })));
    expect(own.capabilities).toEqual({ bounding: [] });
    expect(own.user).toEqual({ uid: 0, gid: 0 });
  });
  test("--process: bad documents name the field", () => {
    const bad = (v: unknown) => () => parseProcessJson(JSON.stringify(v));
    expect(bad({ args: [], cwd: "/" })).toThrow("--process: args: must be a non-empty array of strings");
    expect(bad({ args: ["x"], cwd: "rel" })).toThrow('--process: cwd: must be an absolute path, got "rel"');
    expect(bad({ args: ["x"], cwd: "/", user: { uid: -1, gid: 0 } })).toThrow("--process: user: must be");
    expect(bad({ args: ["x"], cwd: "/", capabilities: { bounding: ["CAP_X"] } })).toThrow('--process: capabilities.bounding: unknown capability "CAP_X"');
    expect(bad({ args: ["x"], cwd: "/", rlimits: [{ type: "RLIMIT_X", soft: 1, hard: 1 }] })).toThrow("--process: rlimits[0].type: unknown rlimit type");
    expect(bad({ args: ["x"], cwd: "/", terminal: "yes" })).toThrow("--process: terminal: must be true or false");
    expect(bad([1])).toThrow("--process: process: must be a JSON object");
    expect(() => parseProcessJson("{")).toThrow("--process: invalid JSON");
  });
});

describe("buildExecPlan", () => {
  const ctx = (over: Partial<ExecPlanContext> = {}): ExecPlanContext => ({
    join: [
      { type: "mount", path: "/proc/9/ns/mnt" },
      { type: "pid", path: "/proc/9/ns/pid" },
      { type: "user", path: "/proc/9/ns/user" },
      { type: "network", path: "/proc/9/ns/net" },
    ],
    cgroupFd: null,
    seccomp: null,
    setgroupsAllowed: true,
    foreground: true,
    preserveFds: 0,
    ...over,
  });
  const ops = (steps: { op: string }[]) => steps.map((s) => s.op);

  test("joins user first and mount last, clones no new namespace, mounts nothing", () => {
    const steps = buildExecPlan(containerProcess(), ctx());
    const setns = steps.filter((s) => s.op === "setns");
    expect(setns.map((s) => (s as { path: string }).path)).toEqual(["/proc/9/ns/user", "/proc/9/ns/net", "/proc/9/ns/pid", "/proc/9/ns/mnt"]);
    expect(setns[0]).toEqual({ op: "setns", nstype: Number(CLONE.NEWUSER), path: "/proc/9/ns/user" });
    expect(steps.find((s) => s.op === "clone")).toEqual({ op: "clone", flags: 0n });
    for (const op of ["mount", "pivotRoot", "umount", "mkdir", "device", "waitStart", "sethostname", "unshare"]) expect(ops(steps)).not.toContain(op);
    // The shim accepts it as a plan (the encoder applies the same framing rules).
    expect(encodePlan(toRecords(steps)).length).toBeGreaterThan(16);
  });

  test("a console socket: the tty op as the process's user, after chdir, before seccomp and caps", () => {
    const p = { ...containerProcess(), consoleSize: { height: 30, width: 100 } };
    const o = ops(buildExecPlan(p, ctx({ consoleSocketFd: 7, seccomp: { program: new Uint8Array(8), flags: 0 } })));
    const tty = o.indexOf("tty");
    expect(buildExecPlan(p, ctx({ consoleSocketFd: 7 })).find((s) => s.op === "tty")).toEqual({ op: "tty", socketFd: 7, rows: 30, cols: 100 });
    expect(tty).toBeGreaterThan(o.indexOf("setuid"));
    expect(tty).toBeGreaterThan(o.indexOf("chdir"));
    expect(tty).toBeLessThan(o.indexOf("caps"));
    expect(tty).toBeLessThan(o.indexOf("seccomp"));
    expect(ops(buildExecPlan(p, ctx()))).not.toContain("tty");
  });

  test("exec -d sets EXIT_ON_START: the caller's subreaper gets the process, as with runc", () => {
    const opts = (c: Partial<ExecPlanContext>) => (buildExecPlan(containerProcess(), ctx(c)).find((s) => s.op === "options") as { bits: number }).bits;
    expect(opts({ foreground: false, exitOnStart: true }) & Opt.EXIT_ON_START).toBe(Opt.EXIT_ON_START);
    expect(opts({ foreground: true }) & Opt.EXIT_ON_START).toBe(0);
  });

  test("credentials always set, then caps, no_new_privs, closeFds, seccomp last before exec", () => {
    const steps = buildExecPlan(containerProcess(), ctx({ seccomp: { program: new Uint8Array(8), flags: 0 } }));
    expect(ops(steps).slice(ops(steps).indexOf("rlimit"))).toEqual(["rlimit", "setgroups", "setgid", "setuid", "umask", "chdir", "caps", "noNewPrivs", "closeFds", "seccomp", "exec"]);
    expect(steps.find((s) => s.op === "setuid")).toEqual({ op: "setuid", uid: 0 });
    expect(steps.find((s) => s.op === "setgroups")).toEqual({ op: "setgroups", gids: [] });
    expect(steps.find((s) => s.op === "options")).toEqual({ op: "options", bits: Opt.WAIT_SETUP | Opt.FOREGROUND });
  });

  test("without no_new_privs the filter goes in before the capabilities drop CAP_SYS_ADMIN", () => {
    const p = containerProcess();
    p.noNewPrivileges = false;
    const o = ops(buildExecPlan(p, ctx({ seccomp: { program: new Uint8Array(8), flags: 0 } })));
    expect(o.indexOf("seccomp")).toBeLessThan(o.indexOf("caps"));
    expect(o).not.toContain("noNewPrivs");
  });

  test("detached, cgroup fd, setgroups denied, preserved fds", () => {
    const steps = buildExecPlan(containerProcess(), ctx({ foreground: false, cgroupFd: 7, setgroupsAllowed: false, preserveFds: 2 }));
    expect(steps.find((s) => s.op === "options")).toEqual({ op: "options", bits: Opt.WAIT_SETUP });
    expect(steps.find((s) => s.op === "cgroupFd")).toEqual({ op: "cgroupFd", fd: 7 });
    expect(ops(steps)).not.toContain("setgroups");
    expect(steps.find((s) => s.op === "closeFds")).toEqual({ op: "closeFds", preserve: 2 });
    expect(() => buildExecPlan({ ...containerProcess(), args: [] }, ctx())).toThrow("process.args: empty");
  });
});

test("a pty only when asked: -t, or terminal: true in --process (the container's own setting does not carry over)", () => {
  const c = { ...containerProcess(), terminal: true };
  expect(execProcess(c, args()).terminal).toBe(false);
  expect(execProcess(c, args({ tty: true })).terminal).toBe(true);
  expect(execProcess(containerProcess(), args(), parseProcessJson(JSON.stringify({ args: ["sh"], cwd: "/", terminal: true }))).terminal).toBe(true);
});
