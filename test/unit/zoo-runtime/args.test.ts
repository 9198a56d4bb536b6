// zoo-runtime argument parsing: runc's spellings, one clear error for the rest.
import { describe, expect, test } from "bun:test";
import { parseGlobal } from "../../../src/cli/zoo-runtime/global.ts";
import { parseCreate } from "../../../src/cli/zoo-runtime/create.ts";
import { parseRun } from "../../../src/cli/zoo-runtime/run.ts";
import { parseKill, parseSignal } from "../../../src/cli/zoo-runtime/kill.ts";
import { parseDelete } from "../../../src/cli/zoo-runtime/delete.ts";
import { parseList } from "../../../src/cli/zoo-runtime/list.ts";
import { parseSpec } from "../../../src/cli/zoo-runtime/spec.ts";
import { parseIdOnly } from "../../../src/cli/zoo-runtime/start.ts";

describe("global flags", () => {
  test("containerd's invocation: flags before the command, = and space forms", () => {
    const g = parseGlobal(["--root", "/run/x", "--log=/tmp/l.json", "--log-format", "json", "--debug", "create", "--bundle", "/b", "id1"]);
    expect(g).toMatchObject({ root: "/run/x", log: "/tmp/l.json", logFormat: "json", debug: true, command: "create" });
    expect(g.args).toEqual(["--bundle", "/b", "id1"]);
  });
  test("single-dash long names are accepted", () => {
    expect(parseGlobal(["-root", "/r", "state", "x"]).root).toBe("/r");
  });
  test("--systemd-cgroup is a global flag", () => {
    expect(parseGlobal(["--systemd-cgroup", "create", "x"])).toMatchObject({ systemdCgroup: true, command: "create" });
    expect(parseGlobal(["create", "x"]).systemdCgroup).toBe(false);
  });
  test("bad values name the flag", () => {
    expect(() => parseGlobal(["--log-format", "xml", "list"])).toThrow('--log-format "xml": want text or json');
    expect(() => parseGlobal(["--rootless", "maybe", "list"])).toThrow('--rootless "maybe": want auto, true or false');
    expect(() => parseGlobal(["--root"])).toThrow("flag --root needs a value");
    expect(() => parseGlobal(["--frobnicate", "list"])).toThrow("flag provided but not defined: --frobnicate");
  });
  test("--version and no command", () => {
    expect(parseGlobal(["--version"]).version).toBe(true);
    expect(parseGlobal([]).command).toBeUndefined();
  });
});

describe("create and run", () => {
  test("defaults and every flag", () => {
    expect(parseCreate(["c1"])).toEqual({ id: "c1", bundle: ".", pidFile: undefined, preserveFds: 0, noPivot: false });
    expect(parseCreate(["-b", "/b", "--pid-file=/p", "--preserve-fds", "2", "--no-new-keyring", "--no-pivot", "c1"])).toEqual({
      id: "c1",
      bundle: "/b",
      pidFile: "/p",
      preserveFds: 2,
      noPivot: true,
    });
  });
  test("refused clearly: bad --preserve-fds, wrong argument count", () => {
    expect(parseCreate(["--console-socket", "/s", "c1"]).consoleSocket).toBe("/s");
    expect(() => parseCreate(["--preserve-fds", "-1", "c1"])).toThrow('--preserve-fds "-1": want a non-negative integer');
    expect(() => parseCreate([])).toThrow("create: expected ID, got 0 arguments");
    expect(() => parseCreate(["a", "b"])).toThrow("create: expected ID, got 2 arguments");
  });
  test("run takes -d/--detach on top of create's flags", () => {
    expect(parseRun(["-d", "-b", "/b", "r1"])).toMatchObject({ id: "r1", bundle: "/b", detach: true });
    expect(parseRun(["r1"]).detach).toBe(false);
  });
});

describe("kill", () => {
  test("signals by number, name, SIG-name, any case; SIGTERM by default", () => {
    expect(parseSignal("9")).toBe(9);
    expect(parseSignal("KILL")).toBe(9);
    expect(parseSignal("SIGKILL")).toBe(9);
    expect(parseSignal("sigusr1")).toBe(10);
    expect(parseKill(["k1"])).toEqual({ id: "k1", signal: 15, all: false });
    expect(parseKill(["--all", "k1", "HUP"])).toEqual({ id: "k1", signal: 1, all: true });
    expect(parseKill(["-a", "k1"]).all).toBe(true);
  });
  test("unknown signals use runc's message", () => {
    expect(() => parseSignal("FOO")).toThrow('unknown signal "FOO"');
    expect(() => parseSignal("0")).toThrow('unknown signal "0"');
    expect(() => parseSignal("65")).toThrow('unknown signal "65"');
  });
});

describe("the other commands", () => {
  test("delete, start/state, list, spec", () => {
    expect(parseDelete(["-f", "x"])).toEqual({ id: "x", force: true });
    expect(parseDelete(["x"])).toEqual({ id: "x", force: false });
    expect(parseIdOnly(["x"], "start")).toBe("x");
    expect(() => parseIdOnly([], "state")).toThrow("state: expected ID, got 0 arguments");
    expect(parseList(["--format", "json"])).toEqual({ format: "json", quiet: false });
    expect(parseList(["-q"])).toEqual({ format: "table", quiet: true });
    expect(() => parseList(["--format", "yaml"])).toThrow('list: --format "yaml": want table or json');
    expect(parseSpec(["--rootless", "-b", "/x"])).toEqual({ rootless: true, bundle: "/x" });
  });
});
