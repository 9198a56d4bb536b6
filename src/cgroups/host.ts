// The host facts resource checks need beyond the cgroup tree: which huge page
// sizes exist and which block devices, so a bad value is named before the
// kernel answers a write with a bare ENOENT or ENODEV.
import { existsSync, readdirSync } from "node:fs";
import { pageSizeName } from "./limits-hugetlb.ts";

export interface HostInfo {
  /** "2MB", "1GB": the sizes hugetlb.<size>.* files are named after. */
  hugePageSizes(): string[];
  blockDevice(major: number, minor: number): boolean;
}

export function hugePageSizesIn(dir: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = /^hugepages-(\d+)kB$/.exec(n);
    return m ? [pageSizeName(Number(m[1]))] : [];
  });
}

export const realHost: HostInfo = {
  hugePageSizes: () => hugePageSizesIn("/sys/kernel/mm/hugepages"),
  blockDevice: (major, minor) => existsSync(`/sys/dev/block/${major}:${minor}`),
};
