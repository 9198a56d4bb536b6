// linux.resources.unified on temp-dir cgroup trees: keys are files of the
// container's v2 directory, of an enabled controller or cgroup.*; a host
// without cgroup v2 refuses them.
import { expect, test } from "bun:test";
import { hybridMounts, v1AllMounts, v2Mounts } from "./fake-cgroupfs.ts";
import { useFakeContainers } from "./resources-setup.ts";

const setup = useFakeContainers();

test("hybrid (this host): hugetlb and core files in the v2 directory, the controller enabled on the way", () => {
  const { make, read } = setup(hybridMounts());
  const cg = make("zoo-u").create({ unified: { "hugetlb.2MB.max": "4194304", "cgroup.max.depth": "3" } });
  expect(cg.warnings).toEqual([]);
  expect(read("/sys/fs/cgroup/unified/zoo-u/hugetlb.2MB.max")).toBe("4194304");
  expect(read("/sys/fs/cgroup/unified/zoo-u/cgroup.max.depth")).toBe("3");
  expect(read("/sys/fs/cgroup/unified/cgroup.subtree_control")).toBe("hugetlb");
});

test("a controller that is not enabled in the v2 directory, or a file that does not exist, is named", () => {
  const { f, make } = setup(hybridMounts());
  // memory is a v1 controller here: the v2 tree cannot hand it down.
  expect(() => make("zoo-m").create({ unified: { "memory.max": "1" } })).toThrow('cannot set linux.resources.unified["memory.max"]: the memory controller is not available in');
  expect(() => make("zoo-x").create({ unified: { "hugetlb.3MB.max": "1" } })).toThrow(
    'cannot set unified["hugetlb.3MB.max"]: the container\'s cgroup v2 directory has no such file',
  );
  expect(f.leftovers()).toEqual([]);
});

test("v2: any enabled controller's file", () => {
  const { make, read } = setup(v2Mounts(), {}, "/zoo.slice");
  make("zoo-v2").create({ unified: { "pids.max": "7", "memory.max": "max" } });
  expect(read("/sys/fs/cgroup/zoo.slice/zoo-v2/pids.max")).toBe("7");
});

test("a host with only cgroup v1 refuses unified", () => {
  const { f, make } = setup(v1AllMounts());
  expect(() => make("zoo-v1").create({ unified: { "cgroup.max.depth": "1" } })).toThrow(
    "cannot set cgroup v2 files (linux.resources.unified): this host has no cgroup v2 hierarchy (only cgroup v1)",
  );
  expect(f.mkdirs).toEqual([]);
});
