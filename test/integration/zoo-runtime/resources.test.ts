// linux.resources beyond memory/cpu/pids on real containers: each value is
// read back from the container's cgroup file on the host and through the
// container's own /sys/fs/cgroup; what the host lacks (net_cls, rdma, a page
// size, a device) and bad values are one line, exit 1, nothing left behind.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Spec } from "../../../src/oci/spec.ts";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

/** A whole block device of this host ("254:0"), real disks before loop and zram. */
function blockDevice(): { major: number; minor: number } {
  const names = readdirSync("/sys/block").sort((a, b) => Number(/^(loop|zram|ram)/.test(a)) - Number(/^(loop|zram|ram)/.test(b)));
  const [major, minor] = readFileSync(`/sys/block/${names[0]}/dev`, "utf8").trim().split(":").map(Number);
  return { major: major!, minor: minor! };
}
const hugePageSizes = () => (existsSync("/sys/kernel/mm/hugepages") ? readdirSync("/sys/kernel/mm/hugepages") : []);

describe.skipIf(!IS_ROOT)("zoo-runtime: linux.resources (root)", () => {
  const t = useRuntimeSuite();
  const paths = (id: string) => JSON.parse(readFileSync(join(t.root, id, "state.json"), "utf8")).cgroup.paths as { version: number; controllers: string[]; mountPoint: string; dir: string }[];
  /** The container's directory for a controller: its v1 hierarchy, else the v2 one. */
  const dirOf = (id: string, v1: string) => {
    const p = paths(id);
    return (p.find((x) => x.version === 1 && x.controllers.includes(v1)) ?? p.find((x) => x.version === 2))!;
  };
  const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8").trim();
  /** The container sees its cgroups under /sys/fs/cgroup: v1 hierarchies by name, v2 as "unified" on a hybrid host or the root on v2. */
  const withCgroupMount = (s: Spec) => {
    s.mounts!.push({ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"] });
    s.linux!.namespaces!.push({ type: "cgroup" });
  };
  /** Where the container's view of a hierarchy is mounted inside it. */
  const inside = (id: string, v1: string) => {
    const h = dirOf(id, v1);
    const all = paths(id);
    return all.every((x) => x.version === 2) ? "/sys/fs/cgroup" : `/sys/fs/cgroup/${h.mountPoint.slice(h.mountPoint.lastIndexOf("/") + 1)}`;
  };
  const exec = async (id: string, cmd: string) => {
    const r = await t.rt(["exec", id, "sh", "-c", cmd]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    return r.stdout.trim();
  };

  test("blockIO: throttles and a weight land in blkio.* (v1) or io.* (v2), seen inside too", async () => {
    const d = blockDevice();
    const dev = `${d.major}:${d.minor}`;
    const b = t.bundle(["sleep", "60"], (s) => {
      withCgroupMount(s);
      s.linux!.resources = {
        blockIO: {
          weight: 500,
          throttleReadBpsDevice: [{ ...d, rate: 1_048_576 }],
          throttleWriteBpsDevice: [{ ...d, rate: 2_097_152 }],
          throttleReadIOPSDevice: [{ ...d, rate: 300 }],
          throttleWriteIOPSDevice: [{ ...d, rate: 400 }],
        },
      };
    });
    const run = await t.detached(["run", "-d", "-b", b, "res-blk"]);
    expect([run.code, readFileSync(run.log, "utf8")]).toEqual([0, ""]);
    const h = dirOf("res-blk", "blkio");
    const where = inside("res-blk", "blkio");
    if (h.version === 1) {
      const files = { read_bps_device: "1048576", write_bps_device: "2097152", read_iops_device: "300", write_iops_device: "400" };
      for (const [f, v] of Object.entries(files)) {
        expect(read(h.dir, `blkio.throttle.${f}`)).toBe(`${dev} ${v}`);
        expect(await exec("res-blk", `cat ${where}/blkio.throttle.${f}`)).toBe(`${dev} ${v}`);
      }
      const weight = ["blkio.weight", "blkio.bfq.weight"].find((f) => existsSync(join(h.dir, f)))!;
      expect(read(h.dir, weight)).toMatch(/^(default )?500$/);
    } else {
      const line = `${dev} rbps=1048576 wbps=2097152 riops=300 wiops=400`;
      expect(read(h.dir, "io.max")).toBe(line);
      expect(await exec("res-blk", `cat ${where}/io.max`)).toBe(line);
      // 500 on the v1 scale is 4950 on io.weight's; BFQ keeps 500.
      const weight = existsSync(join(h.dir, "io.bfq.weight")) ? "io.bfq.weight" : "io.weight";
      expect(read(h.dir, weight)).toMatch(weight === "io.weight" ? /^default 4950$/m : /^default 500$/m);
    }
    // update: one throttle changes, 0 lifts another.
    const file = join(t.work, "blk.json");
    writeFileSync(file, JSON.stringify({ blockIO: { throttleReadBpsDevice: [{ ...d, rate: 4096 }], throttleWriteIOPSDevice: [{ ...d, rate: 0 }] } }));
    const u = await t.rt(["update", "--resources", file, "res-blk"]);
    expect([u.code, u.stderr]).toEqual([0, ""]);
    if (h.version === 1) {
      expect(read(h.dir, "blkio.throttle.read_bps_device")).toBe(`${dev} 4096`);
      expect(read(h.dir, "blkio.throttle.write_iops_device")).toBe("");
    } else {
      expect(read(h.dir, "io.max")).toBe(`${dev} rbps=4096 wbps=2097152 riops=300 wiops=max`);
    }
  });

  test.skipIf(!hugePageSizes().includes("hugepages-2048kB"))("hugepageLimits and unified: hugetlb in the container's cgroup (the v2 tree on a hybrid host)", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      withCgroupMount(s);
      s.linux!.resources = { hugepageLimits: [{ pageSize: "2MB", limit: 8 << 20 }], unified: { "cgroup.max.descendants": "2" } };
    });
    const run = await t.detached(["run", "-d", "-b", b, "res-huge"]);
    expect([run.code, readFileSync(run.log, "utf8")]).toEqual([0, ""]);
    const h = dirOf("res-huge", "hugetlb");
    const file = h.version === 1 ? "hugetlb.2MB.limit_in_bytes" : "hugetlb.2MB.max";
    expect(read(h.dir, file)).toBe(String(8 << 20));
    const where = inside("res-huge", "hugetlb");
    expect(await exec("res-huge", `cat ${where}/${file}`)).toBe(String(8 << 20));
    const v2 = paths("res-huge").find((p) => p.version === 2)!;
    expect(read(v2.dir, "cgroup.max.descendants")).toBe("2");

    // update through unified and hugepageLimits alike.
    const res = join(t.work, "huge.json");
    writeFileSync(res, JSON.stringify({ hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }], unified: { "cgroup.max.depth": "1" } }));
    const u = await t.rt(["update", "--resources", res, "res-huge"]);
    expect([u.code, u.stderr]).toEqual([0, ""]);
    expect(read(h.dir, file)).toBe(String(4 << 20));
    expect(read(v2.dir, "cgroup.max.depth")).toBe("1");
    expect(await exec("res-huge", `cat ${inside("res-huge", "hugetlb")}/${file}`)).toBe(String(4 << 20));
  });

  test("the rest of memory and cpu: kernel TCP, OOM killer, real-time, idle, burst (where the kernel has them)", async () => {
    const b = t.bundle(["sleep", "60"], (s) => {
      withCgroupMount(s);
      s.linux!.resources = {
        memory: { limit: 64 << 20, kernelTCP: 16 << 20, disableOOMKiller: true, useHierarchy: true },
        cpu: { idle: 1, burst: 1000, quota: 50_000, period: 100_000 },
      };
      for (const set of ["bounding", "effective", "permitted"] as const) s.process!.capabilities![set]!.push("CAP_SYS_NICE");
    });
    const v2Only = !existsSync("/sys/fs/cgroup/memory");
    if (v2Only) {
      // cgroup v2 cannot turn the OOM killer off: refused by name, nothing made.
      const r = await t.rt(["create", "-b", b, "res-mem"]);
      expect([r.code, r.stderr]).toEqual([1, "zoo-runtime: cannot set memory.disableOOMKiller: cgroup v2 cannot turn the OOM killer off for a cgroup; remove it\n"]);
      expect(existsSync(join(t.root, "res-mem"))).toBe(false);
      return;
    }
    const run = await t.detached(["run", "-d", "-b", b, "res-mem"]);
    expect([run.code, readFileSync(run.log, "utf8")]).toEqual([0, ""]);
    const mem = dirOf("res-mem", "memory").dir;
    expect(read(mem, "memory.kmem.tcp.limit_in_bytes")).toBe(String(16 << 20));
    expect(read(mem, "memory.oom_control")).toStartWith("oom_kill_disable 1\n");
    expect(await exec("res-mem", `head -1 ${inside("res-mem", "memory")}/memory.oom_control`)).toBe("oom_kill_disable 1");
    const cpu = dirOf("res-mem", "cpu").dir;
    expect(read(cpu, "cpu.idle")).toBe("1");
    if (existsSync(join(cpu, "cpu.cfs_burst_us"))) expect(read(cpu, "cpu.cfs_burst_us")).toBe("1000");

    // Real-time CPU time for the container, period first.
    if (existsSync(join(cpu, "cpu.rt_runtime_us"))) {
      // Without a real-time budget SCHED_FIFO is refused even with CAP_SYS_NICE; with one it is granted.
      expect(await exec("res-mem", "/bin/probe fifo")).toBe("sched_fifo=EPERM");
      const u = await t.rt(["update", "--cpu-rt-period", "1000000", "--cpu-rt-runtime", "10000", "res-mem"]);
      expect([u.code, u.stderr]).toEqual([0, ""]);
      expect([read(cpu, "cpu.rt_period_us"), read(cpu, "cpu.rt_runtime_us")]).toEqual(["1000000", "10000"]);
      expect(await exec("res-mem", "/bin/probe fifo")).toBe("sched_fifo=ok");
    }
    // checkBeforeUpdate: below what is charged now is refused and changes nothing.
    const res = join(t.work, "mem.json");
    writeFileSync(res, JSON.stringify({ memory: { limit: 4096, checkBeforeUpdate: true } }));
    const u = await t.rt(["update", "--resources", res, "res-mem"]);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^zoo-runtime: memory limit 4096 is below the current usage \d+ \(memory.checkBeforeUpdate is set\)\n$/);
    expect(read(mem, "memory.limit_in_bytes")).toBe(String(64 << 20));
  });

  test("what the host lacks and bad values: one line, exit 1, nothing left behind", async () => {
    const d = blockDevice();
    const netCls = existsSync("/sys/fs/cgroup/net_cls") || existsSync("/sys/fs/cgroup/net_cls,net_prio");
    const rdma = existsSync("/sys/fs/cgroup/rdma") || readFileSync("/proc/self/mountinfo", "utf8").includes(" rdma ");
    const cases: [Record<string, unknown>, string][] = [
      [{ blockIO: { weight: 5 } }, "linux.resources: blockIO.weight must be 10..1000 (or 0 for unset), got 5"],
      [{ blockIO: { throttleReadBpsDevice: [{ major: d.major, minor: 4095, rate: 1 }] } }, `blockIO.throttleReadBpsDevice[0]: there is no block device ${d.major}:4095 on this host (see /sys/dev/block)`],
      [{ hugepageLimits: [{ pageSize: "2MB", limit: -1 }] }, "linux.resources: hugepageLimits[0].limit must be a byte count (0 or more), got -1"],
      [{ hugepageLimits: [{ pageSize: "7MB", limit: 0 }] }, `hugepageLimits[0].pageSize: this host has no 7MB huge pages (it has `],
      [{ unified: { "../x": "1" } }, 'linux.resources: unified["../x"]: not a cgroup v2 file name (want "<controller>.<file>", no "/" or "..")'],
      [{ unified: { "cgroup.nosuchfile": "1" } }, "cannot set unified[\"cgroup.nosuchfile\"]: the container's cgroup v2 directory has no such file"],
      [{ memory: { limit: -5 } }, "linux.resources: memory limit must be -1 or a positive byte count, got -5"],
    ];
    if (!netCls) cases.push([{ network: { classID: 0x100001 } }, "cannot set a network class ID (linux.resources.network.classID): no mounted cgroup hierarchy provides the net_cls controller"]);
    if (!rdma) cases.push([{ rdma: { mlx5_0: { hcaHandles: 1 } } }, "cannot set RDMA limits (linux.resources.rdma): no mounted cgroup hierarchy provides the rdma controller"]);
    let n = 0;
    for (const [resources, msg] of cases) {
      const id = `res-bad${++n}`;
      const r = await t.rt(["create", "-b", t.bundle(["true"], (s) => (s.linux!.resources = resources as never)), id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toStartWith(`zoo-runtime: ${msg}`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(join(t.root, id))).toBe(false);
    }
  });
});
