// ContainerCgroup.update (zoo-runtime update) on the fake cgroupfs: a cgroup
// restored from its saved state gets only the named limits, in create's order
// and with create's checks; pids() and dirFor() see the same directories.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { ContainerCgroup } from "../../../src/cgroups/container.ts";
import { detectHierarchies } from "../../../src/cgroups/detect.ts";
import { FakeCgroupFs, hybridMounts, v2Mounts, type FakeMount } from "./fake-cgroupfs.ts";

const MiB = 1024 * 1024;
let fake: FakeCgroupFs | undefined;
afterEach(() => {
  fake?.cleanup();
  fake = undefined;
});

function created(mounts: FakeMount[], parent?: string) {
  const f = (fake = new FakeCgroupFs(mounts));
  const hierarchies = detectHierarchies({ procDir: f.procDir(), rootPrefix: f.root, fs: f });
  const opts = { fs: f, env: {}, uid: 0, kill: f.kill, sleep: f.sleep };
  const state = new ContainerCgroup("zoo-u", { ...opts, hierarchies, parent })
    .create({ memory: { limit: 64 * MiB, swap: 64 * MiB }, cpu: { shares: 1024 }, pids: { limit: 10 } })
    .state();
  // As zoo-runtime update does: from state.json, in another process.
  const cg = ContainerCgroup.restore(state, opts);
  const read = (p: string) => fs.readFileSync(f.abs(p), "utf8").trim();
  return { f, cg, read };
}

test("hybrid: raising memory+swap goes memsw first; untouched limits stay", () => {
  const { f, cg, read } = created(hybridMounts());
  const before = f.writes.length;
  expect(cg.update({ memory: { limit: 128 * MiB, swap: 256 * MiB } })).toEqual([]);
  expect(f.writes.slice(before).map((w) => `${w.path.split("/").pop()}=${w.value}`)).toEqual([
    `memory.memsw.limit_in_bytes=${256 * MiB}`,
    `memory.limit_in_bytes=${128 * MiB}`,
  ]);
  expect(read("/sys/fs/cgroup/pids/zoo-u/pids.max")).toBe("10");
  cg.update({ pids: { limit: -1 }, cpu: { shares: 512 } });
  expect(read("/sys/fs/cgroup/pids/zoo-u/pids.max")).toBe("max");
  expect(read("/sys/fs/cgroup/cpu/zoo-u/cpu.shares")).toBe("512");
  expect(cg.dirFor("freezer")).toEqual({ dir: f.abs("/sys/fs/cgroup/freezer/zoo-u"), version: 1 });
  expect(cg.v2Dir()).toBe(f.abs("/sys/fs/cgroup/unified/zoo-u"));
});

test("v2: cpu.max and memory.max; invalid values are refused before any write", () => {
  const { f, cg, read } = created(v2Mounts(), "/zoo.slice");
  cg.update({ cpu: { quota: 50_000, period: 100_000 }, memory: { limit: 32 * MiB } });
  const dir = "/sys/fs/cgroup/zoo.slice/zoo-u";
  expect(read(`${dir}/cpu.max`)).toBe("50000 100000");
  expect(read(`${dir}/memory.max`)).toBe(String(32 * MiB));
  const before = f.writes.length;
  expect(() => cg.update({ pids: { limit: 5 }, cpu: { quota: 10 } })).toThrow("cpu quota must be -1 or at least 1000 µs, got 10");
  expect(f.writes.length).toBe(before);
});

test("pids() lists the processes of the cgroup and its children once", () => {
  const { f, cg } = created(hybridMounts());
  fs.writeFileSync(f.abs("/sys/fs/cgroup/unified/zoo-u/cgroup.procs"), "7\n9\n");
  fs.mkdirSync(f.abs("/sys/fs/cgroup/unified/zoo-u/sub"));
  fs.writeFileSync(f.abs("/sys/fs/cgroup/unified/zoo-u/sub/cgroup.procs"), "3\n7\n");
  expect(cg.pids()).toEqual([3, 7, 9]);
});

test("a container without a cgroup cannot be updated", () => {
  const cg = ContainerCgroup.restore({ name: "zoo-n", paths: [], createdParents: [] });
  expect(() => cg.update({ pids: { limit: 5 } })).toThrow("cgroup zoo-n does not exist (the container runs without a cgroup)");
  expect(cg.pids()).toEqual([]);
});
