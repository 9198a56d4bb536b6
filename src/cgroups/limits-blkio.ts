// linux.resources.blockIO → v1 blkio.* or v2 io.* writes. Weights are the v1
// scale (10..1000) in the config; v2's io.weight is 1..10000, BFQ keeps 1..1000.
import type { CgroupVersion } from "./detect.ts";
import { CgroupConfigError, CgroupError } from "./errors.ts";
import { checkInt, checkList, checkObject } from "./limits-check.ts";
import type { PlanProbe, WritePlan } from "./limits.ts";

export interface WeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  /** Bytes or I/O operations per second; 0 = no limit. */
  rate: number;
}

export interface BlockIOResources {
  /** 10..1000; 0 = unset. */
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

const THROTTLES = [
  ["throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"],
  ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"],
  ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"],
  ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"],
] as const;

const weightOk = (n: number) => n === 0 || (n >= 10 && n <= 1000);
const WEIGHT_RULE = "10..1000 (or 0 for unset)";
const devNum = (n: number) => n >= 0 && n <= 0xfffff;

/** The v1 blkio weight on cgroup v2's io.weight scale: 10..1000 maps linearly onto 1..10000. */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.trunc(((weight - 10) * 9999) / 990);
}

export function validateBlockIO(b: BlockIOResources | undefined): void {
  if (b === undefined || b === null) return;
  checkObject("blockIO", b);
  checkInt("blockIO.weight", b.weight, weightOk, WEIGHT_RULE);
  checkInt("blockIO.leafWeight", b.leafWeight, weightOk, WEIGHT_RULE);
  const device = (d: { major: number; minor: number }, field: string) => {
    checkInt(`${field}.major`, d.major, devNum, "a device major number");
    checkInt(`${field}.minor`, d.minor, devNum, "a device minor number");
  };
  checkList("blockIO.weightDevice", b.weightDevice, (d, field) => {
    device(d, field);
    checkInt(`${field}.weight`, d.weight, weightOk, WEIGHT_RULE);
    checkInt(`${field}.leafWeight`, d.leafWeight, weightOk, WEIGHT_RULE);
  });
  for (const [key] of THROTTLES) {
    checkList(`blockIO.${key}`, b[key], (d, field) => {
      device(d, field);
      if (d.rate === undefined) throw new CgroupConfigError(`${field}.rate is missing (bytes or operations per second, 0 = no limit)`);
      checkInt(`${field}.rate`, d.rate, (n) => n >= 0, "0 (no limit) or a positive rate per second");
    });
  }
}

export function blockIOWanted(b: BlockIOResources | undefined): boolean {
  if (!b) return false;
  return !!(b.weight || b.leafWeight || b.weightDevice?.length || THROTTLES.some(([k]) => b[k]?.length));
}

export function blkioWrites(b: BlockIOResources, version: CgroupVersion, probe: PlanProbe, plan: WritePlan): void {
  const w = (file: string, value: string) => plan.writes.push({ controller: "blkio", file, value });
  const has = (file: string) => probe.has("blkio", file);
  const checkDevice = (d: { major: number; minor: number }, field: string) => {
    if (probe.blockDevice && !probe.blockDevice(d.major, d.minor)) {
      throw new CgroupConfigError(`${field}: there is no block device ${d.major}:${d.minor} on this host (see /sys/dev/block)`);
    }
  };
  // BFQ takes weights on the v1 scale; io.weight (blk-iocost) on its own.
  const weightFile = (v1Files: string[], v2Files: string[]): { file: string; scale: (n: number) => number } | undefined => {
    const files = version === 1 ? v1Files : v2Files;
    const file = files.find(has);
    if (!file) return undefined;
    return { file, scale: file === "io.weight" ? blkioToIoWeight : (n) => n };
  };
  const noScheduler = (what: string, files: string[]) =>
    new CgroupError(`cannot set ${what}: neither ${files.join(" nor ")} exists in the container's cgroup (no weight-based I/O scheduler on this host)`);

  if (b.weight) {
    const v1 = ["blkio.weight", "blkio.bfq.weight"];
    const v2 = ["io.bfq.weight", "io.weight"];
    const wf = weightFile(v1, v2);
    if (!wf) throw noScheduler("blockIO.weight", version === 1 ? v1 : v2);
    w(wf.file, wf.file === "io.weight" ? `default ${wf.scale(b.weight)}` : String(wf.scale(b.weight)));
  }
  if (b.leafWeight) {
    if (version === 1 && has("blkio.leaf_weight")) w("blkio.leaf_weight", String(b.leafWeight));
    else plan.warnings.push("blockIO.leafWeight ignored: the kernel has no leaf weights (they went with the CFQ scheduler)");
  }
  b.weightDevice?.forEach((d, i) => {
    const field = `blockIO.weightDevice[${i}]`;
    checkDevice(d, field);
    if (d.weight) {
      const v1 = ["blkio.weight_device", "blkio.bfq.weight_device"];
      const v2 = ["io.bfq.weight", "io.weight"];
      const wf = weightFile(v1, v2);
      if (!wf) throw noScheduler(`${field}.weight`, version === 1 ? v1 : v2);
      w(wf.file, `${d.major}:${d.minor} ${wf.scale(d.weight)}`);
    }
    if (d.leafWeight) {
      if (version === 1 && has("blkio.leaf_weight_device")) w("blkio.leaf_weight_device", `${d.major}:${d.minor} ${d.leafWeight}`);
      else plan.warnings.push(`${field}.leafWeight ignored: the kernel has no leaf weights (they went with the CFQ scheduler)`);
    }
  });
  for (const [key, v1File, v2Key] of THROTTLES) {
    b[key]?.forEach((d, i) => {
      checkDevice(d, `blockIO.${key}[${i}]`);
      if (version === 1) w(v1File, `${d.major}:${d.minor} ${d.rate}`);
      else w("io.max", `${d.major}:${d.minor} ${v2Key}=${d.rate === 0 ? "max" : d.rate}`);
    });
  }
}
