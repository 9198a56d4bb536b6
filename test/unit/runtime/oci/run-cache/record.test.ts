import { afterEach, beforeEach, expect, test } from "bun:test";
import { closeSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { O_CLOEXEC, O_DIRECTORY, O_PATH } from "../../../../../src/cgroups/fs.ts";
import { Phase } from "../../../../../src/plan/replay-ids.ts";
import { RunRecorder } from "../../../../../src/runtime/oci/run-cache/record.ts";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync("/tmp/zoo-run-cache-record-");
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

test("the recording CgroupFs does each write and notes it with the phase it happened in", () => {
  const r = new RunRecorder(["run", "x"], "/run/s");
  const dir = join(tmp, "zoo-x");
  r.fs.mkdir(dir);
  writeFileSync(join(dir, "cgroup.procs"), "");
  const fd = r.fs.open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  closeSync(fd);
  expect(r.fs.exists(dir)).toBe(true);
  r.child(7);
  r.fs.writeFile(join(dir, "cgroup.procs"), "7");
  expect(readFileSync(join(dir, "cgroup.procs"), "utf8")).toBe("7");
  expect(r.cgroupOps).toEqual([
    { op: "mkdir", phase: Phase.PREPARE, mode: 0o755, path: dir },
    { op: "open", phase: Phase.PREPARE, flags: O_PATH | O_DIRECTORY | O_CLOEXEC, fd, path: dir },
    { op: "write", phase: Phase.CHILD, path: join(dir, "cgroup.procs"), content: "7" },
  ]);
  expect(r.refused).toBeNull();
});

test("a failed effect is not noted; removing a cgroup while watching means no entry", () => {
  const r = new RunRecorder(["run", "x"], "/run/s");
  expect(() => r.fs.mkdir(join(tmp, "missing", "zoo-x"))).toThrow();
  expect(() => r.fs.writeFile(join(tmp, "nofile"), "1")).toThrow();
  expect(r.cgroupOps).toEqual([]);
  r.fs.mkdir(join(tmp, "d"));
  r.fs.rmdir(join(tmp, "d"));
  expect(existsSync(join(tmp, "d"))).toBe(false);
  expect(r.refused).toMatch(/rmdir/);
});

test("an ineligible config or a source that cannot be looked at refuses; the first reason stays", () => {
  const r = new RunRecorder(["run", "x"], "/run/s");
  r.source("/src", "unknown");
  r.bundleLoaded("/b", { ociVersion: "1.0.2", process: { terminal: true, args: ["sh"], cwd: "/" } } as never, new Uint8Array());
  expect(r.refused).toBe("cannot stat /src");
  const t = new RunRecorder(["run", "x"], "/run/s");
  t.bundleLoaded("/b", { ociVersion: "1.0.2", process: { terminal: true, args: ["sh"], cwd: "/" } } as never, new Uint8Array());
  expect(t.refused).toBe("process.terminal");
  expect([...t.procCgroup!]).toEqual([...readFileSync("/proc/self/cgroup")]);
});
