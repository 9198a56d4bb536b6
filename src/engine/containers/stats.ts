// `zoo stats [--no-stream] [-a] [--format TPL] [CONTAINER...]`: Docker's
// columns from the container's cgroup (CPU time, memory, pids, block I/O)
// and its network namespace's counters (/proc/<init>/net/dev). CPU % is the
// CPU time used between two samples over the wall time, per 100 % a core.
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { ContainerCgroup } from "../../cgroups/index.ts";
import { collectStats } from "../../runtime/oci/events-stats.ts";
import { repair } from "./finalize.ts";
import { renderTemplate, table } from "./format.ts";
import { containers } from "./show.ts";
import type { ContainerConfig, ContainerState } from "./store.ts";

export interface StatsOptions {
  containers: string[];
  all: boolean;
  noStream: boolean;
  noTrunc: boolean;
  format?: string;
}

/** go-units BytesSize: binary units, 3 significant digits ("1.5MiB"). */
export function bytesSize(n: number): string {
  const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${+n.toPrecision(3)}${u[i]}`;
}

/** go-units HumanSize: decimal units ("1.2kB"). */
export function humanSize(n: number): string {
  const u = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${+n.toPrecision(3)}${u[i]}`;
}

/** rx and tx bytes of every interface but lo, from a /proc/net/dev text. */
export function netBytes(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const [name, rest] = line.split(":");
    if (!rest || name!.trim() === "lo") continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

interface Sample {
  cpuNs: number;
  at: number;
}

function sample(s: ContainerState): Sample {
  const cg = s.resources?.cgroup ? ContainerCgroup.restore(s.resources.cgroup) : null;
  return { cpuNs: cg?.cpuUsageNs() ?? 0, at: performance.now() };
}

function row(c: ContainerConfig, s: ContainerState, a: Sample | undefined, b: Sample, noTrunc: boolean) {
  const running = s.status === "running" || s.status === "paused";
  const cg = running && s.resources?.cgroup ? ContainerCgroup.restore(s.resources.cgroup) : null;
  const mem = cg?.memoryUsage();
  const limit = mem?.max ?? totalmem();
  const used = mem?.current ?? 0;
  let net = { rx: 0, tx: 0 };
  try {
    if (running) net = netBytes(readFileSync(`/proc/${s.pid}/net/dev`, "utf8"));
  } catch {}
  const blk = (cg ? collectStats(cg).blkio : {}) as { ioServiceBytesRecursive?: { op: string; value: bigint }[] };
  const io = (op: string) => Number((blk.ioServiceBytesRecursive ?? []).filter((e) => e.op.toLowerCase() === op).reduce((x, e) => x + e.value, 0n));
  const cpu = a && b.at > a.at ? ((b.cpuNs - a.cpuNs) / 1e6 / (b.at - a.at)) * 100 : 0;
  return {
    ID: noTrunc ? c.id : c.id.slice(0, 12),
    Container: noTrunc ? c.id : c.id.slice(0, 12),
    Name: c.name,
    CPUPerc: running ? `${cpu.toFixed(2)}%` : "0.00%",
    MemUsage: running ? `${bytesSize(used)} / ${bytesSize(limit)}` : "0B / 0B",
    MemPerc: running ? `${((used / limit) * 100).toFixed(2)}%` : "0.00%",
    NetIO: `${humanSize(net.rx)} / ${humanSize(net.tx)}`,
    BlockIO: `${humanSize(io("read"))} / ${humanSize(io("write"))}`,
    PIDs: String(running ? (cg?.pidsCurrent() ?? 0) : 0),
  };
}

export async function stats(o: StatsOptions): Promise<number> {
  const cs = containers();
  await repair(cs);
  const pick = () => {
    const all = cs.all().sort((x, y) => x.config.created.localeCompare(y.config.created));
    if (o.containers.length) return o.containers.map((r) => cs.resolve(r)).map((id) => ({ config: cs.config(id), state: cs.state(id) }));
    return all.filter((r) => o.all || r.state.status === "running" || r.state.status === "paused");
  };
  const tty = process.stdout.isTTY && !o.noStream;
  let prev = new Map<string, Sample>();
  for (const r of pick()) prev.set(r.config.id, sample(r.state));
  for (;;) {
    await Bun.sleep(o.noStream ? 500 : 1000);
    const rows = pick().map((r) => {
      const now = sample(r.state);
      const out = row(r.config, r.state, prev.get(r.config.id), now, o.noTrunc);
      prev.set(r.config.id, now);
      return out;
    });
    let text: string;
    if (o.format && o.format !== "table") text = rows.map((x) => renderTemplate(o.format!.replace(/^table\s+/, ""), x) + "\n").join("");
    else {
      const head = ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"];
      text = table([head, ...rows.map((x) => [x.ID, x.Name, x.CPUPerc, x.MemUsage, x.MemPerc, x.NetIO, x.BlockIO, x.PIDs])]);
    }
    // Live on a terminal: the screen is redrawn in place, as docker stats does.
    process.stdout.write(tty ? `\x1b[2J\x1b[H${text}` : text);
    if (o.noStream) return 0;
    prev = new Map([...prev].filter(([id]) => rows.some((x) => id.startsWith(x.ID))));
  }
}
