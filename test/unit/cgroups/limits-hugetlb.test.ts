// linux.resources.hugepageLimits on temp-dir cgroup trees: v1 limit_in_bytes,
// v2 .max (on a hybrid host the v2 tree, with hugetlb enabled on the way down),
// the reservation limit alongside, and sizes the host lacks named.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import { hugePageSizesIn } from "../../../src/cgroups/host.ts";
import { pageSizeName } from "../../../src/cgroups/limits-hugetlb.ts";
import { hybridMounts, v1AllMounts, v2Mounts } from "./fake-cgroupfs.ts";
import { useFakeContainers } from "./resources-setup.ts";

const setup = useFakeContainers();
const MiB = 1024 * 1024;

test("page size names as the kernel spells them", () => {
  expect([64, 2048, 32768, 1048576].map(pageSizeName)).toEqual(["64KB", "2MB", "32MB", "1GB"]);
  const dir = fs.mkdtempSync(`${os.tmpdir()}/zoo-hugepages-`);
  try {
    for (const d of ["hugepages-2048kB", "hugepages-1048576kB", "not-a-size"]) fs.mkdirSync(`${dir}/${d}`);
    expect(hugePageSizesIn(dir).sort()).toEqual(["1GB", "2MB"]);
    expect(hugePageSizesIn(`${dir}/missing`)).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

describe("hugepageLimits", () => {
  test("v1: limit_in_bytes and the reservation limit", () => {
    const { make, read } = setup(v1AllMounts());
    make("zoo-h").create({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * MiB }] });
    expect(read("/sys/fs/cgroup/hugetlb/zoo-h/hugetlb.2MB.limit_in_bytes")).toBe(String(4 * MiB));
    expect(read("/sys/fs/cgroup/hugetlb/zoo-h/hugetlb.2MB.rsvd.limit_in_bytes")).toBe(String(4 * MiB));
  });

  test("hybrid (this host): hugetlb is in the v2 tree, enabled in the parent and written there", () => {
    const { f, make, read } = setup(hybridMounts());
    const cg = make("zoo-hy").create({ hugepageLimits: [{ pageSize: "2MB", limit: 8 * MiB }] });
    expect(read("/sys/fs/cgroup/unified/cgroup.subtree_control")).toBe("hugetlb");
    expect(read("/sys/fs/cgroup/unified/zoo-hy/hugetlb.2MB.max")).toBe(String(8 * MiB));
    expect(read("/sys/fs/cgroup/unified/zoo-hy/hugetlb.2MB.rsvd.max")).toBe(String(8 * MiB));
    expect(cg.dirFor("hugetlb")).toEqual({ dir: f.abs("/sys/fs/cgroup/unified/zoo-hy"), version: 2 });
  });

  test("v2 below a parent zoo makes: hugetlb enabled level by level", () => {
    const { make, read } = setup(v2Mounts("/"), {}, "/zoo-parent/inner");
    make("zoo-v2").create({ hugepageLimits: [{ pageSize: "2MB", limit: 0 }] });
    for (const d of ["", "/zoo-parent", "/zoo-parent/inner"]) expect(read(`/sys/fs/cgroup${d}/cgroup.subtree_control`).split(" ")).toContain("hugetlb");
    expect(read("/sys/fs/cgroup/zoo-parent/inner/zoo-v2/hugetlb.2MB.max")).toBe("0");
  });

  test("a size the host lacks is one line listing the sizes it has; nothing is left", () => {
    const { f, make } = setup(hybridMounts());
    expect(() => make("zoo-1g").create({ hugepageLimits: [{ pageSize: "1GB", limit: 0 }] })).toThrow(
      "hugepageLimits[0].pageSize: this host has no 1GB huge pages (it has 2MB; see /sys/kernel/mm/hugepages)",
    );
    expect(f.leftovers()).toEqual([]);
  });

  test("update of a cgroup made before hugetlb was enabled above it: the missing file is named", () => {
    const { f, make } = setup(hybridMounts());
    const cg = make("zoo-late").create({});
    expect(f.exists(f.abs("/sys/fs/cgroup/unified/zoo-late/hugetlb.2MB.max"))).toBe(false);
    expect(() => cg.update({ hugepageLimits: [{ pageSize: "2MB", limit: 0 }] })).toThrow(
      "cannot set hugepageLimits[0]: the container's cgroup has no hugetlb.2MB.max (the hugetlb controller was not enabled for it when it was made)",
    );
  });

  test("no hugetlb anywhere: the field and the missing controller are named", () => {
    const { f, make } = setup(v2Mounts("/").map((m) => ({ ...m, controllers: m.controllers.filter((c) => c !== "hugetlb") })));
    expect(() => make("zoo-no").create({ hugepageLimits: [{ pageSize: "2MB", limit: 0 }] })).toThrow(
      "cannot set huge page limits (linux.resources.hugepageLimits): no mounted cgroup hierarchy provides the hugetlb controller",
    );
    expect(f.mkdirs).toEqual([]);
  });
});
