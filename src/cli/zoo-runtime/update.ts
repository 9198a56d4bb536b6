// `zoo-runtime update [--resources FILE|-] [--memory N] ... ID`: runc's flags.
import { parseMemory } from "../units.ts";
import { UsageError } from "../../util/errors.ts";
import { expectArgs, parseFlags, str } from "./flags.ts";

export interface UpdateArgs {
  id: string;
  /** OCI linux.resources JSON: a file, or "-" for stdin. */
  resourcesFile?: string;
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
  /** v1 only; the first is deprecated by the kernel (see limits.ts). */
  kernelMemory?: number;
  kernelMemoryTcp?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
}

const W = "update";

/** A byte count with an optional k/m/g suffix, or -1 for unlimited. */
function bytes(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  return v.trim() === "-1" ? -1 : parseMemory(v, flag);
}

function int(v: string | undefined, flag: string, allowMinusOne = false): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!(/^\d+$/.test(t) || (allowMinusOne && t === "-1")) || !Number.isSafeInteger(Number(t))) {
    throw new UsageError(`${W}: ${flag} ${JSON.stringify(v)}: want ${allowMinusOne ? "-1 or " : ""}a whole number`);
  }
  return Number(t);
}

export function parseUpdate(argv: string[]): UpdateArgs {
  const { flags, args } = parseFlags(
    argv,
    {
      value: {
        resources: "resources",
        r: "resources",
        memory: "memory",
        "memory-swap": "memorySwap",
        "memory-reservation": "memoryReservation",
        "kernel-memory": "kernelMemory",
        "kernel-memory-tcp": "kernelMemoryTcp",
        "cpu-shares": "cpuShares",
        "cpu-quota": "cpuQuota",
        "cpu-period": "cpuPeriod",
        "cpu-rt-period": "cpuRtPeriod",
        "cpu-rt-runtime": "cpuRtRuntime",
        "cpuset-cpus": "cpusetCpus",
        "cpuset-mems": "cpusetMems",
        "pids-limit": "pidsLimit",
        "blkio-weight": "blkioWeight",
        "l3-cache-schema": "rdt",
        "mem-bw-schema": "rdt",
      },
    },
    W,
  );
  const [id] = expectArgs(args, ["ID"], W);
  if (flags.rdt !== undefined) throw new UsageError(`${W}: Intel RDT schemas are not supported`);
  const blkioWeight = int(str(flags.blkioWeight), "--blkio-weight");
  if (blkioWeight !== undefined && (blkioWeight < 10 || blkioWeight > 1000)) throw new UsageError(`${W}: --blkio-weight ${blkioWeight}: want 10..1000`);
  return {
    id: id!,
    resourcesFile: str(flags.resources),
    memory: bytes(str(flags.memory), "--memory"),
    memorySwap: bytes(str(flags.memorySwap), "--memory-swap"),
    memoryReservation: bytes(str(flags.memoryReservation), "--memory-reservation"),
    cpuShares: int(str(flags.cpuShares), "--cpu-shares"),
    cpuQuota: int(str(flags.cpuQuota), "--cpu-quota", true),
    cpuPeriod: int(str(flags.cpuPeriod), "--cpu-period"),
    cpusetCpus: str(flags.cpusetCpus),
    cpusetMems: str(flags.cpusetMems),
    pidsLimit: int(str(flags.pidsLimit), "--pids-limit", true),
    blkioWeight,
    kernelMemory: bytes(str(flags.kernelMemory), "--kernel-memory"),
    kernelMemoryTcp: bytes(str(flags.kernelMemoryTcp), "--kernel-memory-tcp"),
    cpuRtPeriod: int(str(flags.cpuRtPeriod), "--cpu-rt-period"),
    cpuRtRuntime: int(str(flags.cpuRtRuntime), "--cpu-rt-runtime", true),
  };
}
