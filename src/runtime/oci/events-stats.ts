// The "stats" event of `zoo-runtime events`, in runc's JSON shape
// (types.Stats: cpu, memory, pids, blkio), read from the container's cgroup
// files in whichever version hosts each controller. Counters are bigints:
// v1 reports "unlimited" as 2^63-ish, which a double would round.
import { ContainerCgroup } from "../../cgroups/index.ts";
import { realFs } from "../../cgroups/index.ts";

type Where = { dir: string; version: 1 | 2 } | undefined;

const readFile = (where: Where, file: string): string | undefined => {
  if (!where) return undefined;
  try {
    return realFs.readFile(`${where.dir}/${file}`);
  } catch {
    return undefined;
  }
};

export function big(text: string | undefined): bigint | undefined {
  const t = text?.trim();
  return t !== undefined && /^\d+$/.test(t) ? BigInt(t) : undefined;
}

/** "key value" lines → map of bigints (memory.stat, cpu.stat, cpuacct.stat). */
export function flatKeyed(text: string | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    const n = big(v);
    if (k && n !== undefined) out[k] = n;
  }
  return out;
}

export interface BlkioEntry {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}

/** v1 blkio.*_recursive: "8:0 Read 1234" lines; the "Total" line is dropped, as runc does. */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: BigInt(m[1]!), minor: BigInt(m[2]!), op: m[3]!, value: BigInt(m[4]!) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." → runc's two v1-style lists. */
export function parseIoStatV2(text: string | undefined): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const [dev, ...kv] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? "");
    if (!m) continue;
    const f = Object.fromEntries(kv.map((p) => p.split("=") as [string, string]));
    const e = (op: string, v: string | undefined) => ({ major: BigInt(m[1]!), minor: BigInt(m[2]!), op, value: big(v) ?? 0n });
    bytes.push(e("Read", f.rbytes), e("Write", f.wbytes));
    ios.push(e("Read", f.rios), e("Write", f.wios));
  }
  return { bytes, ios };
}

const MAX_U64 = (1n << 64n) - 1n;
const limitV2 = (t: string | undefined) => (t?.trim() === "max" ? MAX_U64 : big(t));

// USER_HZ is 100 on every Linux architecture zoo runs on: one tick is 10 ms.
const NS_PER_TICK = 10_000_000n;

function cpuStats(cg: ContainerCgroup) {
  const acct = cg.dirFor("cpuacct");
  const v2: Where = cg.v2Dir() ? { dir: cg.v2Dir()!, version: 2 } : undefined;
  const usage: Record<string, unknown> = {};
  if (acct?.version === 1) {
    usage.total = big(readFile(acct, "cpuacct.usage"));
    const percpu = (readFile(acct, "cpuacct.usage_percpu") ?? "").trim().split(/\s+/).map(big);
    if (percpu.length && percpu.every((n) => n !== undefined)) usage.percpu = percpu;
    const st = flatKeyed(readFile(acct, "cpuacct.stat"));
    usage.kernel = (st.system ?? 0n) * NS_PER_TICK;
    usage.user = (st.user ?? 0n) * NS_PER_TICK;
  } else {
    const st = flatKeyed(readFile(cg.dirFor("cpu") ?? v2, "cpu.stat"));
    usage.total = st.usage_usec !== undefined ? st.usage_usec * 1000n : undefined;
    usage.kernel = (st.system_usec ?? 0n) * 1000n;
    usage.user = (st.user_usec ?? 0n) * 1000n;
  }
  const cpu = cg.dirFor("cpu");
  const st = flatKeyed(readFile(cpu, "cpu.stat"));
  const throttling =
    cpu?.version === 1
      ? { periods: st.nr_periods, throttled_periods: st.nr_throttled, throttled_time: st.throttled_time }
      : { periods: st.nr_periods, throttled_periods: st.nr_throttled, throttled_time: st.throttled_usec === undefined ? undefined : st.throttled_usec * 1000n };
  return { usage, throttling };
}

function memoryStats(cg: ContainerCgroup) {
  const mem = cg.dirFor("memory");
  if (!mem) return {};
  const raw = flatKeyed(readFile(mem, "memory.stat"));
  if (mem.version === 1) {
    const entry = (prefix: string) => ({
      usage: big(readFile(mem, `${prefix}.usage_in_bytes`)),
      max: big(readFile(mem, `${prefix}.max_usage_in_bytes`)),
      limit: big(readFile(mem, `${prefix}.limit_in_bytes`)) ?? 0n,
      failcnt: big(readFile(mem, `${prefix}.failcnt`)) ?? 0n,
    });
    return { cache: raw.cache, usage: entry("memory"), swap: entry("memory.memsw"), kernel: entry("memory.kmem"), raw };
  }
  const current = big(readFile(mem, "memory.current"));
  const limit = limitV2(readFile(mem, "memory.max")) ?? 0n;
  const swapCurrent = big(readFile(mem, "memory.swap.current"));
  const swapLimit = limitV2(readFile(mem, "memory.swap.max"));
  return {
    cache: raw.file,
    usage: { usage: current, max: big(readFile(mem, "memory.peak")), limit, failcnt: 0n },
    // As runc on v2: swap figures are memory+swap, the v1 meaning.
    swap: {
      usage: swapCurrent !== undefined && current !== undefined ? swapCurrent + current : undefined,
      limit: swapLimit === undefined ? 0n : swapLimit === MAX_U64 || limit === MAX_U64 ? MAX_U64 : swapLimit + limit,
      failcnt: 0n,
    },
    raw,
  };
}

function pidsStats(cg: ContainerCgroup) {
  const p = cg.dirFor("pids");
  const max = readFile(p, "pids.max")?.trim();
  return { current: big(readFile(p, "pids.current")), limit: max === "max" ? undefined : big(max) };
}

function blkioStats(cg: ContainerCgroup) {
  const b = cg.dirFor("blkio");
  if (b?.version === 1) {
    const pick = (a: string, c: string) => parseBlkioV1(readFile(b, a) ?? readFile(b, c));
    return {
      ioServiceBytesRecursive: pick("blkio.throttle.io_service_bytes_recursive", "blkio.io_service_bytes_recursive"),
      ioServicedRecursive: pick("blkio.throttle.io_serviced_recursive", "blkio.io_serviced_recursive"),
    };
  }
  const io = cg.dirFor("io") ?? (cg.v2Dir() ? { dir: cg.v2Dir()!, version: 2 as const } : undefined);
  const { bytes, ios } = parseIoStatV2(readFile(io, "io.stat"));
  return { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
}

export function collectStats(cg: ContainerCgroup | null): Record<string, unknown> {
  if (!cg || !cg.active) return { cpu: { usage: {}, throttling: {} }, memory: {}, pids: {}, blkio: {} };
  return { cpu: cpuStats(cg), memory: memoryStats(cg), pids: pidsStats(cg), blkio: blkioStats(cg) };
}

/** One JSON line; bigints as plain JSON numbers, undefined and empty lists left out like runc's omitempty. */
export function eventLine(type: string, id: string, data?: unknown): string {
  const json = JSON.stringify({ type, id, ...(data === undefined ? {} : { data }) }, (_, v) =>
    typeof v === "bigint" ? `\u0000${v}` : Array.isArray(v) && v.length === 0 ? undefined : v,
  );
  return json.replace(/"\\u0000(\d+)"/g, "$1") + "\n";
}
