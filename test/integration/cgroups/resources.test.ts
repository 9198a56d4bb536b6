// The rest of linux.resources on the real kernel, through ContainerCgroup:
// block I/O, huge pages, unified, network/rdma, the memory and cpu extras.
// Passes on this hybrid host and in the cgroup v2 + systemd VM: each value is
// read back from the file the kernel keeps, and what the host lacks is one
// line naming the field. Only zoo-test-* cgroups are made, below our own (or,
// under systemd, below a delegated scope), and none is left.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { ContainerCgroup, detectHierarchies, hierarchyFor, type Hierarchy } from "../../../src/cgroups/index.ts";
import { joinSystemdScope, systemdBooted } from "../../../src/cgroups/systemd/index.ts";
import { cgroupDirsNamed } from "../../helpers/procs.ts";

const MiB = 1024 * 1024;
const uid = process.getuid?.() ?? -1;
const tag = `zoo-test-res-${process.pid}-${randomBytes(3).toString("hex")}`;
const made: ContainerCgroup[] = [];
let scope: string | undefined;
let n = 0;

const read = (p: string) => fs.readFileSync(p, "utf8").trim();
const leftovers = () => cgroupDirsNamed(tag);
/** A whole block device of this host, real disks before loop and zram. */
function blockDevice(): { major: number; minor: number } {
  const virt = (s: string) => Number(/^(loop|zram|ram)/.test(s));
  const name = fs.readdirSync("/sys/block").sort((a, b) => virt(a) - virt(b))[0]!;
  const [major, minor] = read(`/sys/block/${name}/dev`).split(":").map(Number);
  return { major: major!, minor: minor! };
}
const make = () => new ContainerCgroup(`${tag}-${++n}`, { env: scope ? { ZOO_CGROUP_PARENT: scope } : {} });
const track = (cg: ContainerCgroup) => (made.push(cg), cg);

describe.skipIf(uid !== 0)("linux.resources on the real kernel", () => {
  const hs: Hierarchy[] = detectHierarchies();
  const v2 = hs.find((h) => h.version === 2);
  beforeAll(async () => {
    if (systemdBooted()) scope = (await joinSystemdScope({ unit: `cgres-${process.pid}.scope`, description: "zoo resource tests", slice: "zoo.slice" })).path;
  });
  afterAll(async () => {
    for (const cg of made) await cg.destroy().catch(() => {});
    expect(leftovers()).toEqual([]);
  });
  /** The directory the container got for a controller (v1 hierarchy, else the v2 one). */
  const dirFor = (cg: ContainerCgroup, v1: string, v2name = v1) => cg.dirFor(v1) ?? cg.dirFor(v2name);

  test("blockIO: throttles read back from blkio.throttle.* (v1) or io.max (v2); an unknown device is named", async () => {
    const d = blockDevice();
    const dev = `${d.major}:${d.minor}`;
    const host = hierarchyFor(hs, "blkio") ?? hierarchyFor(hs, "io");
    expect(host).toBeDefined();
    const cg = track(make()).create({
      blockIO: { throttleReadBpsDevice: [{ ...d, rate: MiB }], throttleWriteIOPSDevice: [{ ...d, rate: 50 }] },
    });
    const where = dirFor(cg, "blkio", "io")!;
    if (where.version === 1) {
      expect(read(`${where.dir}/blkio.throttle.read_bps_device`)).toBe(`${dev} ${MiB}`);
      expect(read(`${where.dir}/blkio.throttle.write_iops_device`)).toBe(`${dev} 50`);
    } else {
      expect(read(`${where.dir}/io.max`)).toBe(`${dev} rbps=${MiB} wbps=max riops=max wiops=50`);
    }
    // A weight where the I/O scheduler offers one; otherwise the files are named.
    const weightFiles = where.version === 1 ? ["blkio.weight", "blkio.bfq.weight"] : ["io.bfq.weight", "io.weight"];
    const wf = weightFiles.find((f) => fs.existsSync(`${where.dir}/${f}`));
    if (wf) {
      cg.update({ blockIO: { weight: 500 } });
      expect(read(`${where.dir}/${wf}`)).toMatch(wf === "io.weight" ? /^default 4950$/m : /^(default )?500$/m);
    } else {
      expect(() => cg.update({ blockIO: { weight: 500 } })).toThrow(`cannot set blockIO.weight: neither ${weightFiles.join(" nor ")} exists`);
    }
    cg.update({ blockIO: { throttleReadBpsDevice: [{ ...d, rate: 0 }] } });
    if (where.version === 1) expect(read(`${where.dir}/blkio.throttle.read_bps_device`)).toBe("");
    else expect(read(`${where.dir}/io.max`)).toBe(`${dev} rbps=max wbps=max riops=max wiops=50`);

    const before = leftovers().length;
    expect(() => make().create({ blockIO: { throttleReadBpsDevice: [{ major: d.major, minor: 4095, rate: 1 }] } })).toThrow(
      `blockIO.throttleReadBpsDevice[0]: there is no block device ${d.major}:4095 on this host (see /sys/dev/block)`,
    );
    expect(leftovers()).toHaveLength(before);
  });

  test("hugepageLimits: the limit in the hugetlb hierarchy (the v2 tree on a hybrid host), unified alongside", async () => {
    const sizes = fs.existsSync("/sys/kernel/mm/hugepages") ? fs.readdirSync("/sys/kernel/mm/hugepages") : [];
    const host = hierarchyFor(hs, "hugetlb");
    if (!host || !sizes.includes("hugepages-2048kB")) {
      expect(() => make().create({ hugepageLimits: [{ pageSize: "2MB", limit: 0 }] })).toThrow(/hugepageLimits/);
      return;
    }
    const cg = track(make());
    // Under systemd the delegated scope may not offer hugetlb: that is one line too.
    const scopeOffers = !scope || read(`${v2!.mountPoint}${scope}/cgroup.controllers`).split(" ").includes("hugetlb");
    if (host.version === 2 && !scopeOffers) {
      expect(() => cg.create({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * MiB }] })).toThrow("cannot set huge page limits (linux.resources.hugepageLimits): the hugetlb controller is not available in");
      return;
    }
    const unified = v2 ? { "cgroup.max.descendants": "4" } : undefined;
    cg.create({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * MiB }], ...(unified ? { unified } : {}) });
    const where = cg.dirFor("hugetlb")!;
    expect(read(`${where.dir}/${where.version === 1 ? "hugetlb.2MB.limit_in_bytes" : "hugetlb.2MB.max"}`)).toBe(String(4 * MiB));
    if (unified) expect(read(`${cg.v2Dir()}/cgroup.max.descendants`)).toBe("4");
    // The effect of cgroup.max.descendants: the fifth child cgroup is refused.
    if (unified) {
      for (let i = 0; i < 4; i++) fs.mkdirSync(`${cg.v2Dir()}/c${i}`);
      expect(() => fs.mkdirSync(`${cg.v2Dir()}/c4`)).toThrow(/EAGAIN/);
    }
    expect(() => make().create({ hugepageLimits: [{ pageSize: "3MB", limit: 0 }] })).toThrow("hugepageLimits[0].pageSize: this host has no 3MB huge pages");
  });

  test("unified: only files of the container's v2 directory; refused without cgroup v2", () => {
    if (!v2) {
      expect(() => make().create({ unified: { "cgroup.max.depth": "1" } })).toThrow("this host has no cgroup v2 hierarchy");
      return;
    }
    const cg = track(make()).create({ unified: { "cgroup.max.depth": "2" } });
    expect(read(`${cg.v2Dir()}/cgroup.max.depth`)).toBe("2");
    expect(() => cg.update({ unified: { "cgroup.nosuch": "1" } })).toThrow('cannot set unified["cgroup.nosuch"]: the container\'s cgroup v2 directory has no such file');
    // pids lives in v1 on a hybrid host: its v2 file is not the container's to write.
    if (!v2.controllers.includes("pids")) expect(() => cg.update({ unified: { "pids.max": "5" } })).toThrow("the pids controller is not enabled in the container's cgroup v2 directory");
    else {
      cg.update({ unified: { "pids.max": "5" } });
      expect(read(`${cg.v2Dir()}/pids.max`)).toBe("5");
    }
  });

  test("network and rdma: written where mounted, otherwise one line naming the field", () => {
    const cases = [
      ["net_cls", { network: { classID: 0x100001 } }, "net_cls.classid", String(0x100001), "a network class ID (linux.resources.network.classID)"],
      ["rdma", { rdma: { nosuchdev: { hcaHandles: 1 } } }, "", "", "RDMA limits (linux.resources.rdma)"],
    ] as const;
    for (const [ctl, r, file, value, what] of cases) {
      if (hierarchyFor(hs, ctl)) {
        if (!file) continue; // rdma.max takes only devices that exist; none here to name.
        const cg = track(make()).create(r);
        expect(read(`${cg.dirFor(ctl)!.dir}/${file}`)).toBe(value);
      } else {
        expect(() => make().create(r)).toThrow(`cannot set ${what}: no mounted cgroup hierarchy provides the ${ctl} controller`);
      }
    }
  });

  test("memory and cpu extras: v1 files where they are, v2 refusals and warnings", () => {
    const mem = hierarchyFor(hs, "memory")!;
    const cpu = hierarchyFor(hs, "cpu")!;
    if (mem.version === 1) {
      const cg = track(make()).create({ memory: { limit: 64 * MiB, kernelTCP: 8 * MiB, disableOOMKiller: true } });
      const dir = cg.dirFor("memory")!.dir;
      expect(read(`${dir}/memory.kmem.tcp.limit_in_bytes`)).toBe(String(8 * MiB));
      expect(read(`${dir}/memory.oom_control`)).toStartWith("oom_kill_disable 1");
    } else {
      expect(() => make().create({ memory: { disableOOMKiller: true } })).toThrow("cgroup v2 cannot turn the OOM killer off");
      const cg = track(make()).create({ memory: { limit: 64 * MiB, kernel: 8 * MiB } });
      expect(cg.warnings).toContain("memory.kernel/kernelTCP ignored: cgroup v2 charges kernel memory to memory.max");
    }
    const cg = track(make()).create({ cpu: { idle: 1 } });
    expect(read(`${cg.dirFor("cpu")!.dir}/cpu.idle`)).toBe("1");
    if (cpu.version === 1 && fs.existsSync(`${cg.dirFor("cpu")!.dir}/cpu.rt_runtime_us`)) {
      cg.update({ cpu: { realtimePeriod: 500_000, realtimeRuntime: 5_000 } });
      expect([read(`${cg.dirFor("cpu")!.dir}/cpu.rt_period_us`), read(`${cg.dirFor("cpu")!.dir}/cpu.rt_runtime_us`)]).toEqual(["500000", "5000"]);
    } else if (cpu.version === 2) {
      expect(() => cg.update({ cpu: { realtimeRuntime: 5_000 } })).toThrow("cgroup v2 has no real-time CPU limits");
    }
  });
});
