// linux.resources.hugepageLimits → hugetlb.<size>.limit_in_bytes (v1) or
// hugetlb.<size>.max (v2), plus the reservation limit where the kernel has one.
import type { CgroupVersion } from "./detect.ts";
import { CgroupConfigError, CgroupError } from "./errors.ts";
import { checkInt, checkList } from "./limits-check.ts";
import type { PlanProbe, WritePlan } from "./limits.ts";

export interface HugepageLimit {
  /** "2MB", "1GB", "64KB": the kernel's names in hugetlb.<size>.* files. */
  pageSize: string;
  /** Bytes. */
  limit: number;
}

const PAGE_SIZE = /^[1-9]\d*(KB|MB|GB)$/;

/** The hugetlb file name for a page size in kB, as the kernel spells it (hugepages-2048kB → "2MB"). */
export function pageSizeName(kB: number): string {
  if (kB % (1024 * 1024) === 0) return `${kB / (1024 * 1024)}GB`;
  if (kB % 1024 === 0) return `${kB / 1024}MB`;
  return `${kB}KB`;
}

export function validateHugepageLimits(l: HugepageLimit[] | undefined): void {
  checkList("hugepageLimits", l, (h, field) => {
    if (typeof h.pageSize !== "string" || !PAGE_SIZE.test(h.pageSize)) {
      throw new CgroupConfigError(`${field}.pageSize must be a size like "2MB" or "1GB", got ${JSON.stringify(h.pageSize)}`);
    }
    if (h.limit === undefined) throw new CgroupConfigError(`${field}.limit is missing (bytes)`);
    checkInt(`${field}.limit`, h.limit, (n) => n >= 0, "a byte count (0 or more)");
  });
}

export function hugetlbWrites(l: HugepageLimit[], version: CgroupVersion, probe: PlanProbe, plan: WritePlan): void {
  const sizes = probe.hugePageSizes?.();
  l.forEach((h, i) => {
    if (sizes && !sizes.includes(h.pageSize)) {
      const has = sizes.length ? `it has ${sizes.join(", ")}` : "it has none";
      throw new CgroupConfigError(`hugepageLimits[${i}].pageSize: this host has no ${h.pageSize} huge pages (${has}; see /sys/kernel/mm/hugepages)`);
    }
    const [limit, rsvd] =
      version === 1
        ? [`hugetlb.${h.pageSize}.limit_in_bytes`, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`]
        : [`hugetlb.${h.pageSize}.max`, `hugetlb.${h.pageSize}.rsvd.max`];
    // A cgroup made before hugetlb was enabled above it has none of its files (update).
    if (!probe.has("hugetlb", limit)) throw new CgroupError(`cannot set hugepageLimits[${i}]: the container's cgroup has no ${limit} (the hugetlb controller was not enabled for it when it was made)`);
    plan.writes.push({ controller: "hugetlb", file: limit, value: String(h.limit) });
    // Pages reserved by mmap but not yet faulted in count here; without the
    // same limit a process could reserve past it and die on the fault instead.
    if (probe.has("hugetlb", rsvd)) plan.writes.push({ controller: "hugetlb", file: rsvd, value: String(h.limit) });
  });
}
