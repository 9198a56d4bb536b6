// `zoo-runtime ps`: the container's processes. Like runc: the pids come from
// its cgroup, and the table is the host's `ps` (default -ef) cut down to them.
import { readdirSync, statSync } from "node:fs";
import { ContainerCgroup } from "../../cgroups/index.ts";
import { RuntimeError } from "./errors.ts";
import { statusOf, type ContainerState, type Store } from "./store.ts";

/**
 * Pids in the container's cgroup. Without one (rootless, nothing delegated)
 * the processes in init's pid namespace, which is the container when it has
 * one of its own.
 */
export function containerPids(s: ContainerState): number[] {
  if (s.cgroup) {
    const pids = ContainerCgroup.restore(s.cgroup).pids();
    if (pids.length) return pids;
  }
  const ns = (pid: number | string) => {
    try {
      const st = statSync(`/proc/${pid}/ns/pid`);
      return `${st.dev}:${st.ino}`;
    } catch {
      return null;
    }
  };
  const mine = ns(s.pid);
  if (mine === null || mine === ns("self")) return [s.pid];
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e) && ns(e) === mine)
    .map(Number)
    .sort((a, b) => a - b);
}

/** `ps` output with the header and only the rows whose PID column is in `pids`. */
export function filterPsTable(out: string, pids: ReadonlySet<number>): string {
  const lines = out.split("\n");
  const header = lines[0] ?? "";
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0) throw new RuntimeError("ps: the output has no PID column (keep pid in -o)");
  const rows = lines.slice(1).filter((l) => l.trim() !== "" && pids.has(Number(l.trim().split(/\s+/)[col])));
  return [header, ...rows].join("\n") + "\n";
}

export async function ps(store: Store, id: string, format: "table" | "json", psArgs: string[]): Promise<string> {
  const s = await store.locked(id, () => store.read(id));
  // As runc: a stopped container lists what is left in its cgroup (processes
  // that outlived init without a pid namespace of their own), usually nothing.
  const pids = statusOf(s) === "stopped" ? (s.cgroup ? ContainerCgroup.restore(s.cgroup).pids() : []) : containerPids(s);
  if (format === "json") return JSON.stringify(pids) + "\n";
  const psBin = Bun.which("ps", { PATH: process.env.PATH || "/usr/bin:/bin" });
  if (!psBin) throw new RuntimeError("ps: the ps command is not installed (install procps) — or use --format json");
  const p = Bun.spawn([psBin, ...(psArgs.length ? psArgs : ["-ef"])], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  if ((await p.exited) !== 0) throw new RuntimeError(`ps ${psArgs.join(" ")}: ${err.trim().split("\n")[0] || `exit status ${p.exitCode}`}`);
  return filterPsTable(out, new Set(pids));
}
