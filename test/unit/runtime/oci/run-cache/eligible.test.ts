import { expect, test } from "bun:test";
import { hasMarkByte, runIneligible, specIneligible, type RunFacts } from "../../../../../src/runtime/oci/run-cache/eligible.ts";
import type { Spec } from "../../../../../src/oci/spec.ts";

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({ detach: false, euid: 0, main: "/$bunfs/root/zoo", env: {}, ...over });

test("a foreground run as root from the compiled executable is eligible", () => {
  expect(runIneligible(facts())).toBeNull();
  expect(runIneligible(facts({ env: { ZOO_RUN_CACHE: "on" }, preserveFds: 0 }))).toBeNull();
});

test("each thing the doc excludes, and --debug, means no entry", () => {
  expect(runIneligible(facts({ env: { ZOO_RUN_CACHE: "off" } }))).toBe("ZOO_RUN_CACHE=off");
  expect(runIneligible(facts({ main: "/work/src/main.ts" }))).toBe("not the compiled executable");
  expect(runIneligible(facts({ euid: 1000 }))).toBe("not root");
  expect(runIneligible(facts({ detach: true }))).toBe("--detach");
  expect(runIneligible(facts({ consoleSocket: "/s" }))).toBe("--console-socket");
  expect(runIneligible(facts({ preserveFds: 2 }))).toBe("--preserve-fds");
  expect(runIneligible(facts({ systemdCgroup: true }))).toBe("--systemd-cgroup");
  expect(runIneligible(facts({ debug: true }))).toBe("--debug");
});

test("configs with a terminal, hooks, a seccomp listener or a user namespace get no entry", () => {
  const spec = (s: object) => ({ ociVersion: "1.0.2", process: { args: ["/bin/true"], cwd: "/" }, ...s }) as unknown as Spec;
  expect(specIneligible(spec({}))).toBeNull();
  expect(specIneligible(spec({ hooks: { poststop: [] } }))).toBeNull();
  expect(specIneligible(spec({ process: { terminal: true, args: ["/bin/sh"], cwd: "/" } }))).toBe("process.terminal");
  expect(specIneligible(spec({ hooks: { poststop: [{ path: "/bin/true" }] } }))).toBe("hooks");
  expect(specIneligible(spec({ linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/l" } } }))).toBe("a seccomp listener");
  expect(specIneligible(spec({ linux: { namespaces: [{ type: "pid" }, { type: "user" }] } }))).toBe("a user namespace");
  expect(specIneligible(spec({ linux: { namespaces: [{ type: "user", path: "/proc/1/ns/user" }] } }))).toBe("a user namespace");
});

test("byte 0x01 is found in strings and bytes", () => {
  expect(hasMarkByte("/a", undefined, null, new Uint8Array([2, 3]))).toBe(false);
  expect(hasMarkByte("/a\x01I")).toBe(true);
  expect(hasMarkByte(new Uint8Array([0x7b, 1]))).toBe(true);
});
