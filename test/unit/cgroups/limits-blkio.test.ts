// linux.resources.blockIO on temp-dir cgroup trees: v1 blkio files, v2 io.*
// with weights converted, devices checked against the host before writing.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { blkioToIoWeight } from "../../../src/cgroups/limits-blkio.ts";
import { hybridMounts, v1AllMounts, v2Mounts } from "./fake-cgroupfs.ts";
import { useFakeContainers } from "./resources-setup.ts";

const setup = useFakeContainers();

const THROTTLES = {
  throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1_048_576 }],
  throttleWriteBpsDevice: [{ major: 254, minor: 0, rate: 2_097_152 }],
  throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
  throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }],
};

test("v1 weight → v2 io.weight: 10..1000 onto 1..10000, as runc converts", () => {
  expect([10, 100, 500, 1000].map(blkioToIoWeight)).toEqual([1, 910, 4950, 10000]);
});

describe("cgroup v1 blkio", () => {
  test("weight and device weight through BFQ's files, throttles one line each", () => {
    const { make, writesSince } = setup(v1AllMounts());
    make("zoo-b").create({ blockIO: { weight: 300, weightDevice: [{ major: 254, minor: 0, weight: 700 }], ...THROTTLES } });
    expect(writesSince(0).filter((w) => w.startsWith("blkio."))).toEqual([
      "blkio.bfq.weight=300",
      "blkio.bfq.weight_device=254:0 700",
      "blkio.throttle.read_bps_device=254:0 1048576",
      "blkio.throttle.write_bps_device=254:0 2097152",
      "blkio.throttle.read_iops_device=8:0 100",
      "blkio.throttle.write_iops_device=8:0 0",
    ]);
  });

  test("leaf weights are warned about: the kernel has none since CFQ went", () => {
    const { make } = setup(hybridMounts());
    const cg = make("zoo-l").create({ blockIO: { leafWeight: 200, weightDevice: [{ major: 8, minor: 0, leafWeight: 300 }] } });
    expect(cg.warnings).toEqual([
      "blockIO.leafWeight ignored: the kernel has no leaf weights (they went with the CFQ scheduler)",
      "blockIO.weightDevice[0].leafWeight ignored: the kernel has no leaf weights (they went with the CFQ scheduler)",
    ]);
  });

  test("an unknown device is named and nothing is left behind", () => {
    const { f, make } = setup(hybridMounts());
    expect(() => make("zoo-u").create({ blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 99, rate: 1 }] } })).toThrow(
      "blockIO.throttleReadBpsDevice[0]: there is no block device 254:99 on this host (see /sys/dev/block)",
    );
    expect(f.leftovers()).toEqual([]);
  });

  test("out-of-range values are refused before anything is made", () => {
    const { f, make } = setup(hybridMounts());
    expect(() => make("zoo-r").create({ blockIO: { weight: 1001 } })).toThrow("blockIO.weight must be 10..1000 (or 0 for unset), got 1001");
    expect(() => make("zoo-r").create({ blockIO: { weightDevice: [{ major: -1, minor: 0, weight: 10 }] } })).toThrow("blockIO.weightDevice[0].major must be a device major number, got -1");
    expect(f.mkdirs).toEqual([]);
  });
});

describe("cgroup v2 io", () => {
  test("io.weight takes the converted weight; io.max one key per write, 0 = max", () => {
    const { make, read, writesSince } = setup(v2Mounts(), {}, "/zoo.slice");
    make("zoo-io").create({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 1000 }], ...THROTTLES } });
    const dir = "/sys/fs/cgroup/zoo.slice/zoo-io";
    expect(read("/sys/fs/cgroup/zoo.slice/cgroup.subtree_control").split(" ")).toContain("io");
    expect(writesSince(0).filter((w) => w.startsWith("io."))).toEqual([
      "io.weight=default 4950",
      "io.weight=8:0 10000",
      "io.max=254:0 rbps=1048576",
      "io.max=254:0 wbps=2097152",
      "io.max=8:0 riops=100",
      "io.max=8:0 wiops=max",
    ]);
    expect(read(`${dir}/io.max`)).toBe("8:0 wiops=max");
  });

  test("BFQ's io.bfq.weight keeps the v1 scale", () => {
    const { f, make, read } = setup(v2Mounts("/"));
    const cg = make("zoo-bfq");
    // The fake has no io.bfq.weight of its own: a subtree where BFQ runs.
    cg.create({});
    writeFileSync(f.abs("/sys/fs/cgroup/zoo-bfq/io.bfq.weight"), "default 100");
    cg.update({ blockIO: { weight: 250 } });
    expect(read("/sys/fs/cgroup/zoo-bfq/io.bfq.weight")).toBe("250");
  });

  test("no weight-based scheduler: one line saying which files are missing", () => {
    const { f, make } = setup(v2Mounts("/"), { noIoWeight: true });
    expect(() => make("zoo-nw").create({ blockIO: { weight: 100 } })).toThrow(
      "cannot set blockIO.weight: neither io.bfq.weight nor io.weight exists in the container's cgroup (no weight-based I/O scheduler on this host)",
    );
    expect(f.leftovers()).toEqual([]);
  });
});
