// linux.resources.network and .rdma on temp-dir cgroup trees: written where
// the controller is mounted, one line naming the field where it is not.
import { describe, expect, test } from "bun:test";
import { hybridMounts, v1AllMounts, v2Mounts } from "./fake-cgroupfs.ts";
import { useFakeContainers } from "./resources-setup.ts";

const setup = useFakeContainers();

describe("network", () => {
  test("v1 net_cls.classid and one net_prio.ifpriomap write per interface", () => {
    const { make, read, writesSince } = setup(v1AllMounts());
    make("zoo-n").create({ network: { classID: 0x100001, priorities: [{ name: "eth0", priority: 5 }, { name: "lo", priority: 2 }] } });
    expect(read("/sys/fs/cgroup/net_cls,net_prio/zoo-n/net_cls.classid")).toBe(String(0x100001));
    expect(writesSince(0).filter((w) => w.startsWith("net_prio."))).toEqual(["net_prio.ifpriomap=eth0 5", "net_prio.ifpriomap=lo 2"]);
  });

  test("not mounted (this host, and every v2 host): the field is named, nothing is made", () => {
    for (const mounts of [hybridMounts(), v2Mounts()]) {
      const { f, make } = setup(mounts);
      expect(() => make("zoo-nc").create({ network: { classID: 1 } })).toThrow(
        "cannot set a network class ID (linux.resources.network.classID): no mounted cgroup hierarchy provides the net_cls controller",
      );
      expect(() => make("zoo-np").create({ network: { priorities: [{ name: "eth0", priority: 1 }] } })).toThrow(
        "cannot set network priorities (linux.resources.network.priorities): no mounted cgroup hierarchy provides the net_prio controller",
      );
      expect(f.mkdirs).toEqual([]);
      f.cleanup();
    }
  });
});

describe("rdma", () => {
  test("rdma.max per device, only the counts given (v1 and v2 share the file)", () => {
    for (const [mounts, dir] of [
      [v1AllMounts(), "/sys/fs/cgroup/rdma/zoo-r"],
      [v2Mounts("/"), "/sys/fs/cgroup/zoo-r"],
    ] as const) {
      const { f, make, writesSince } = setup([...mounts]);
      make("zoo-r").create({ rdma: { mlx5_0: { hcaHandles: 2, hcaObjects: 2000 }, mlx4_0: { hcaObjects: 10 } } });
      expect(writesSince(0).filter((w) => w.startsWith("rdma."))).toEqual(["rdma.max=mlx5_0 hca_handle=2 hca_object=2000", "rdma.max=mlx4_0 hca_object=10"]);
      expect(f.exists(f.abs(`${dir}/rdma.max`))).toBe(true);
      f.cleanup();
    }
  });

  test("not mounted: one line naming the field", () => {
    const { f, make } = setup(hybridMounts());
    expect(() => make("zoo-nr").create({ rdma: { mlx5_0: { hcaHandles: 1 } } })).toThrow(
      "cannot set RDMA limits (linux.resources.rdma): no mounted cgroup hierarchy provides the rdma controller",
    );
    expect(f.mkdirs).toEqual([]);
  });
});
