import { afterEach, describe, expect, test } from "bun:test";
import { cgroupDir, detectHierarchies, hierarchyFor, parseHierarchies, parseMountInfo, parseProcCgroup } from "../../../src/cgroups/detect.ts";
import { FakeCgroupFs, v2Mounts } from "./fake-cgroupfs.ts";

// Verbatim from the hybrid development VM.
const HYBRID_MOUNTINFO = `22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/5e59f970219ecf8e57548a5577359f3a
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

const V2_MOUNTINFO = `24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_CGROUP = "0::/user.slice/user-1000.slice/session-3.scope\n";

const V1_MOUNTINFO = `25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
`;
const V1_CGROUP = `5:pids:/user.slice/user-1000.slice/session-1.scope
4:memory:/user.slice/user-1000.slice/session-1.scope
3:cpu,cpuacct:/user.slice
1:name=systemd:/user.slice/user-1000.slice/session-1.scope
0::/user.slice/user-1000.slice/session-1.scope
`;

describe("parseMountInfo / parseProcCgroup", () => {
  test("keeps only cgroup mounts and unescapes paths", () => {
    const ms = parseMountInfo(`${HYBRID_MOUNTINFO}50 31 0:40 /a\\040b /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n`);
    expect(ms.map((m) => m.fsType)).toEqual([...Array(9).fill("cgroup"), "cgroup2", "cgroup2"]);
    expect(ms.at(-1)).toEqual({ root: "/a b", mountPoint: "/mnt/my cg", fsType: "cgroup2", superOptions: ["rw"] });
  });

  test("optional fields before the separator are skipped", () => {
    const [m] = parseMountInfo("28 24 0:26 / /sys/fs/cgroup rw shared:9 master:3 - cgroup2 cgroup2 rw,nsdelegate");
    expect(m?.superOptions).toEqual(["rw", "nsdelegate"]);
  });

  test("cgroup paths may contain colons", () => {
    expect(parseProcCgroup("0::/a:b\n3:cpu,cpuacct:/x\n")).toEqual([
      { id: 0, controllers: [], path: "/a:b" },
      { id: 3, controllers: ["cpu", "cpuacct"], path: "/x" },
    ]);
  });
});

describe("parseHierarchies", () => {
  test("hybrid: nine v1 hierarchies including name=systemd, plus v2", () => {
    const hs = parseHierarchies(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    expect(hs).toHaveLength(10);
    expect(hs[0]).toEqual({ version: 2, id: 0, mountPoint: "/sys/fs/cgroup/unified", mountRoot: "/", controllers: [], ownPath: "/" });
    const mem = hierarchyFor(hs, "memory");
    expect(mem).toMatchObject({ version: 1, mountPoint: "/sys/fs/cgroup/memory", ownPath: "/process_api/5e59f970219ecf8e57548a5577359f3a" });
    expect(hs.find((h) => h.controllers.includes("name=systemd"))?.mountPoint).toBe("/sys/fs/cgroup/systemd");
    expect(hs.filter((h) => h.version === 1).map((h) => h.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("pure v2", () => {
    const hs = parseHierarchies(V2_MOUNTINFO, V2_CGROUP);
    expect(hs).toEqual([
      { version: 2, id: 0, mountPoint: "/sys/fs/cgroup", mountRoot: "/", controllers: [], ownPath: "/user.slice/user-1000.slice/session-3.scope" },
    ]);
  });

  test("pure v1 with cpu,cpuacct co-mounted; unmounted v2 is left out", () => {
    const hs = parseHierarchies(V1_MOUNTINFO, V1_CGROUP);
    expect(hs.map((h) => h.mountPoint)).toEqual([
      "/sys/fs/cgroup/systemd",
      "/sys/fs/cgroup/cpu,cpuacct",
      "/sys/fs/cgroup/memory",
      "/sys/fs/cgroup/pids",
    ]);
    expect(hierarchyFor(hs, "cpuacct")).toBe(hierarchyFor(hs, "cpu"));
    expect(hierarchyFor(hs, "cpu")?.ownPath).toBe("/user.slice");
    expect(hierarchyFor(hs, "freezer")).toBeUndefined();
  });

  test("rootPrefix moves every mount point", () => {
    const hs = parseHierarchies(V2_MOUNTINFO, V2_CGROUP, { rootPrefix: "/tmp/fake/" });
    expect(hs[0]?.mountPoint).toBe("/tmp/fake/sys/fs/cgroup");
  });

  test("a mount of a subtree maps our path below its root; one that does not contain us is ignored", () => {
    const mi = `40 31 0:38 /outer /elsewhere rw - cgroup2 cgroup2 rw
41 31 0:38 /machine /sys/fs/cgroup rw - cgroup2 cgroup2 rw
`;
    const [h] = parseHierarchies(mi, "0::/machine/ct1\n");
    expect(h).toMatchObject({ mountPoint: "/sys/fs/cgroup", mountRoot: "/machine" });
    expect(cgroupDir(h!, "/machine/ct1")).toBe("/sys/fs/cgroup/ct1");
    expect(cgroupDir(h!, "/machine")).toBe("/sys/fs/cgroup");
    expect(cgroupDir(h!, "/other")).toBeUndefined();
  });

  test("paths outside our cgroup namespace are unreachable", () => {
    expect(parseHierarchies(V2_MOUNTINFO, "0::/../../x\n")).toEqual([]);
  });
});

describe("detectHierarchies", () => {
  let fake: FakeCgroupFs | undefined;
  afterEach(() => fake?.cleanup());

  test("reads /proc files from procDir and v2 controllers from the mount root", () => {
    fake = new FakeCgroupFs(v2Mounts());
    const hs = detectHierarchies({ procDir: fake.procDir(), rootPrefix: fake.root, fs: fake });
    expect(hs).toHaveLength(1);
    expect(hs[0]?.mountPoint).toBe(`${fake.root}/sys/fs/cgroup`);
    expect(hs[0]?.controllers).toEqual(["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]);
  });
});
