// The engine's pure parts: templates, durations, log lines, exit records,
// restart decisions, flag values, user lookup, argument parsing.
import { describe, expect, test } from "bun:test";
import { parseArgs } from "../../../src/cli/zoo/args.ts";
import { DetachKeys, sizeFrame } from "../../../src/engine/containers/attach.ts";
import { parseLogOpts, parseRestart } from "../../../src/engine/containers/create.ts";
import { resolveUser, withTty } from "../../../src/engine/containers/exec.ts";
import { backoffMs, readExitFile, shouldRestart } from "../../../src/engine/containers/finalize.ts";
import { humanDuration, renderTemplate, table } from "../../../src/engine/containers/format.ts";
import { parseTime } from "../../../src/engine/containers/logs-command.ts";
import { LogPrinter, parseLine } from "../../../src/engine/containers/logs.ts";
import { generateName } from "../../../src/engine/containers/names.ts";
import { nextHealth, parseDuration, type HealthState } from "../../../src/engine/containers/health.ts";
import { parseBytes } from "../../../src/engine/containers/units.ts";
import { signalNumber } from "../../../src/engine/containers/signals.ts";

describe("templates", () => {
  const doc = { Name: "/web", State: { Status: "running", Pid: 42 }, Args: ["a", "b"], Labels: {} };
  test("fields, nested fields, json, tabs", () => {
    expect(renderTemplate("{{.Name}}\\t{{.State.Status}} {{ .State.Pid }}", doc)).toBe("/web\trunning 42");
    expect(renderTemplate("{{json .State}}", doc)).toBe('{"Status":"running","Pid":42}');
    expect(renderTemplate("{{.Args}} {{.Missing}}", doc)).toBe("[a b] <no value>");
    expect(renderTemplate("{{upper .State.Status}}", doc)).toBe("RUNNING");
  });
  test("an unknown expression is one clear error", () => {
    expect(() => renderTemplate("{{range .Args}}{{end}}", doc)).toThrow(/unsupported expression "\{\{range \.Args\}\}"/);
  });
  test("tables pad columns three spaces apart", () => {
    expect(table([["A", "BB", "C"], ["xxx", "y", ""]])).toBe("A     BB   C\nxxx   y\n");
  });
});

test("Docker's human durations", () => {
  expect(humanDuration(500)).toBe("Less than a second");
  expect(humanDuration(1000)).toBe("1 second");
  expect(humanDuration(59_000)).toBe("59 seconds");
  expect(humanDuration(61_000)).toBe("About a minute");
  expect(humanDuration(5 * 60_000)).toBe("5 minutes");
  expect(humanDuration(3600_000)).toBe("About an hour");
  expect(humanDuration(5 * 3600_000)).toBe("5 hours");
  expect(humanDuration(3 * 86400_000)).toBe("3 days");
});

describe("log lines", () => {
  test("parse the monitor's format; anything else is skipped", () => {
    expect(parseLine("2026-01-02T03:04:05.123456789Z stdout F hello world")).toEqual({
      time: "2026-01-02T03:04:05.123456789Z", stream: "stdout", partial: false, text: "hello world",
    });
    expect(parseLine("2026-01-02T03:04:05.123456789Z stderr P ")?.partial).toBe(true);
    expect(parseLine("garbage")).toBeNull();
    expect(parseLine("t stdin F x")).toBeNull();
  });
  test("partial pieces join into one line; -t stamps the line once; --since filters", () => {
    const out: string[] = [];
    const p = new LogPrinter({ timestamps: true, since: Date.parse("2026-01-02T03:04:05Z") }, (s, t) => out.push(`${s}:${t}`));
    const lines = ["2026-01-02T03:04:04.999999999Z stdout F old", "2026-01-02T03:04:05.1Z stdout P ab", "2026-01-02T03:04:05.2Z stdout F cd"];
    for (const l of lines.map(parseLine)) if (l && p.accept(l)) p.print(l);
    expect(out).toEqual(["stdout:2026-01-02T03:04:05.1Z ab", "stdout:cd\n"]);
  });
});

test("exit file: wait status and time", () => {
  expect(readExitFile("1792 1700000000.123456789\n")).toEqual({ code: 7, finishedAt: "2023-11-14T22:13:20.123456789Z" });
  expect(readExitFile("9 1700000000.000000000\n")?.code).toBe(137);
  expect(readExitFile("nonsense")).toBeNull();
});

describe("restart policies", () => {
  const s = (exitCode: number, restartCount = 0, stoppedByUser = false) => ({ exitCode, restartCount, stoppedByUser });
  test("Docker's rules", () => {
    expect(shouldRestart(parseRestart("no"), s(1))).toBe(false);
    expect(shouldRestart(parseRestart("always"), s(0))).toBe(true);
    expect(shouldRestart(parseRestart("always"), s(0, 0, true))).toBe(false);
    expect(shouldRestart(parseRestart("unless-stopped"), s(0, 0, true))).toBe(false);
    expect(shouldRestart(parseRestart("on-failure"), s(0))).toBe(false);
    expect(shouldRestart(parseRestart("on-failure"), s(1, 100))).toBe(true);
    expect(shouldRestart(parseRestart("on-failure:2"), s(1, 1))).toBe(true);
    expect(shouldRestart(parseRestart("on-failure:2"), s(1, 2))).toBe(false);
  });
  test("back-off doubles up to a minute", () => {
    expect([0, 1, 2].map(backoffMs)).toEqual([100, 200, 400]);
    expect(backoffMs(20)).toBe(60_000);
  });
  test("bad values", () => {
    expect(() => parseRestart("always:3")).toThrow(/invalid --restart "always:3"/);
    expect(() => parseRestart("sometimes")).toThrow(/give no, always, unless-stopped, on-failure/);
  });
});

test("--log-opt and sizes", () => {
  expect(parseLogOpts([])).toEqual({ maxSize: 0, maxFiles: 1 });
  expect(parseLogOpts(["max-size=10m", "max-file=3"])).toEqual({ maxSize: 10 * 1024 * 1024, maxFiles: 3 });
  expect(() => parseLogOpts(["max-file=0"])).toThrow(/max-file "0"/);
  expect(() => parseLogOpts(["mode=non-blocking"])).toThrow(/unknown --log-opt/);
  expect(parseBytes("512k", "x")).toBe(524288);
  expect(() => parseBytes("lots", "x")).toThrow(/invalid x "lots"/);
});

test("--since/--until: timestamps, unix times, durations", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  expect(parseTime("10m", "--since", now)).toBe(now - 600_000);
  expect(parseTime("1h30m", "--since", now)).toBe(now - 5_400_000);
  expect(parseTime("1700000000", "--since", now)).toBe(1_700_000_000_000);
  expect(parseTime("2026-01-01T11:00:00Z", "--since", now)).toBe(now - 3600_000);
  expect(() => parseTime("yesterday", "--since", now)).toThrow(/invalid --since "yesterday"/);
});

test("exec -u: numbers, names from the container's passwd and group", () => {
  const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
  const group = "root:x:0:\nstaff:x:50:\n";
  expect(resolveUser("nobody", passwd, group)).toEqual({ uid: 65534, gid: 65534 });
  expect(resolveUser("1000", passwd, group)).toEqual({ uid: 1000, gid: 0 });
  expect(resolveUser("nobody:staff", passwd, group)).toEqual({ uid: 65534, gid: 50 });
  expect(() => resolveUser("alice", passwd, group)).toThrow(/unable to find user alice/);
});

test("generated names avoid taken ones", () => {
  const taken = new Set<string>();
  for (let i = 0; i < 200; i++) taken.add(generateName(taken));
  expect(taken.size).toBe(200);
  for (const n of taken) expect(n).toMatch(/^[a-z]+_[a-z]+\d*$/);
});

describe("argument parsing", () => {
  const spec = { bool: { "-i": "i", "-t": "t", "-d": "d" }, value: { "-u": "user" }, multi: { "-e": "env" }, stopAtPositional: true };
  test("bundled booleans, values, repeats, and the command after the container", () => {
    const p = parseArgs("exec", ["-it", "-e", "A=1", "--", "c"], spec);
    expect(p.flags).toMatchObject({ i: true, t: true, env: ["A=1"] });
    expect(p.args).toEqual(["c"]);
    const q = parseArgs("exec", ["-u", "1:2", "c", "ls", "-l"], spec);
    expect(q.flags.user).toBe("1:2");
    expect(q.args).toEqual(["c", "ls", "-l"]);
  });
  test("unknown flags and missing values", () => {
    expect(() => parseArgs("exec", ["-x", "c"], spec)).toThrow("exec: unknown flag: -x");
    expect(() => parseArgs("exec", ["-u"], spec)).toThrow("exec: flag -u needs a value");
  });
});

describe("attach", () => {
  test("Ctrl-P Ctrl-Q detaches, also split across reads; a lone Ctrl-P is passed on", () => {
    const k = new DetachKeys();
    expect(k.feed(new Uint8Array([0x61, 0x10, 0x11, 0x62]))).toEqual([new Uint8Array([0x61]), true]);
    const j = new DetachKeys();
    expect(j.feed(new Uint8Array([0x61, 0x10]))).toEqual([new Uint8Array([0x61]), false]);
    expect(j.feed(new Uint8Array([0x11]))).toEqual([new Uint8Array([]), true]);
    const m = new DetachKeys();
    expect(m.feed(new Uint8Array([0x10, 0x62]))).toEqual([new Uint8Array([0x10, 0x62]), false]);
  });
  test("a resize frame: 'r', length 4, rows and columns little-endian", () => {
    expect([...sizeFrame(40, 300)]).toEqual([0x72, 4, 0, 40, 0, 44, 1]);
  });
});

describe("health", () => {
  const c = { cmd: "true", intervalMs: 1000, timeoutMs: 1000, retries: 2, startPeriodMs: 5000 };
  const at = (s: number, code: number) => ({ Start: new Date(Date.parse("2026-01-01T00:00:00Z") + s * 1000).toISOString(), End: "", ExitCode: code, Output: "" });
  const start: HealthState = { status: "starting", failingStreak: 0, log: [] };
  test("failures in the start period do not count; retries in a row make it unhealthy; one success heals", () => {
    const t0 = "2026-01-01T00:00:00Z";
    let h = nextHealth(start, at(1, 1), c, t0);
    expect(h).toMatchObject({ status: "starting", failingStreak: 0 });
    h = nextHealth(h, at(6, 1), c, t0);
    expect(h).toMatchObject({ status: "starting", failingStreak: 1 });
    h = nextHealth(h, at(7, 1), c, t0);
    expect(h).toMatchObject({ status: "unhealthy", failingStreak: 2 });
    h = nextHealth(h, at(8, 0), c, t0);
    expect(h).toMatchObject({ status: "healthy", failingStreak: 0 });
    for (let i = 0; i < 10; i++) h = nextHealth(h, at(9 + i, 0), c, t0);
    expect(h.log).toHaveLength(5);
  });
  test("durations", () => {
    expect(parseDuration("1m30s", "x")).toBe(90_000);
    expect(parseDuration("500ms", "x")).toBe(500);
    expect(parseDuration("1.5s", "x")).toBe(1500);
    expect(() => parseDuration("10", "--health-interval")).toThrow(/invalid --health-interval "10"/);
  });
});

test("exec -t: the TTY op goes right after chdir, before caps and seccomp", () => {
  const steps = [{ op: "setuid", uid: 0 }, { op: "chdir", path: "/" }, { op: "caps" }, { op: "exec" }] as never[];
  const out = withTty(steps, 7, { args: ["sh"], cwd: "/", user: { uid: 0, gid: 0 }, consoleSize: { height: 30, width: 100 } }) as unknown as Record<string, unknown>[];
  expect(out.map((s) => s.op)).toEqual(["setuid", "chdir", "tty", "caps", "exec"]);
  expect(out[2]).toEqual({ op: "tty", socketFd: 7, rows: 30, cols: 100 });
  expect(withTty(steps, undefined, { args: ["sh"], cwd: "/", user: { uid: 0, gid: 0 } })).toBe(steps);
});

test("signal names and numbers", () => {
  expect(["KILL", "SIGKILL", "sigkill", "9"].map(signalNumber)).toEqual([9, 9, 9, 9]);
  expect(signalNumber("usr1")).toBe(10);
  expect(() => signalNumber("BOGUS")).toThrow(/invalid signal "BOGUS"/);
  expect(() => signalNumber("0")).toThrow();
});
