// The end of a container's run: record how it ended and give back what it
// held (cgroup, root mount point, network, helpers). Done by the monitor's
// exit command as soon as the container exits, or, if the monitor itself was
// killed, by the next zoo command that finds the monitor lock free (repair).
import { closeSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { constants as osc } from "node:os";
import { ContainerCgroup } from "../../cgroups/index.ts";
import { releaseBridge } from "../../net/bridge/attach.ts";
import { isAlive } from "../../runtime/oci/proc-stat.ts";
import { decodeWaitStatus } from "../../runtime/wait-status.ts";
import { sweep } from "./remove.ts";
import type { Containers, ContainerState, RestartPolicy } from "./store.ts";

const LIVE = new Set(["running", "paused", "restarting"]);

/** The monitor's record: "<wait status> <seconds>.<ns>". */
export function readExitFile(text: string): { code: number; finishedAt: string } | null {
  const m = /^(-?\d+) (\d+)\.(\d{9})\n?$/.exec(text);
  if (!m) return null;
  const st = decodeWaitStatus(Number(m[1]));
  const ms = Number(m[2]) * 1000 + Math.floor(Number(m[3]) / 1e6);
  // Nanoseconds kept, as Docker shows them.
  const finishedAt = new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${m[3]}Z`);
  return { code: st.signal !== null ? 128 + st.signal : (st.code ?? 0), finishedAt };
}

/** Docker's rules: on-failure for a non-zero exit up to N times (0: no limit); never after stop. */
export function shouldRestart(p: RestartPolicy, s: Pick<ContainerState, "exitCode" | "restartCount" | "stoppedByUser">): boolean {
  if (s.stoppedByUser) return false;
  if (p.name === "always" || p.name === "unless-stopped") return true;
  if (p.name === "on-failure") return s.exitCode !== 0 && (p.maxRetries === 0 || s.restartCount < p.maxRetries);
  return false;
}

/** Docker's back-off: 100 ms doubling, at most a minute. */
export const backoffMs = (restartCount: number) => Math.min(100 * 2 ** restartCount, 60_000);

/**
 * Caller holds the state lock and is in charge (holds the monitor lock or is
 * the monitor's exit command). Returns whether the policy asks for a restart.
 */
export async function finalize(cs: Containers, id: string, opts: { repair: boolean }): Promise<boolean> {
  const st = cs.state(id);
  if (!LIVE.has(st.status) && !st.resources) return false;
  const warn: string[] = [];
  let exit = null;
  try {
    exit = readExitFile(readFileSync(cs.path(id, "exit"), "utf8"));
  } catch {}
  // The monitor was killed and the container lives on: nobody may hold it.
  let killed = false;
  if (st.pid > 0 && isAlive(st.pid, st.pidStart)) {
    try {
      process.kill(st.pid, "SIGKILL");
      killed = true;
    } catch {}
    for (let i = 0; i < 100 && isAlive(st.pid, st.pidStart); i++) await Bun.sleep(20);
  }
  const r = st.resources;
  let oom = false;
  if (r?.cgroup) {
    try {
      const cg = ContainerCgroup.restore(r.cgroup);
      oom = (cg.oomKills()?.count ?? 0) > 0;
      await cg.destroy();
    } catch (e) {
      warn.push(`cgroup: ${(e as Error).message}`);
    }
  }
  if (r?.rootMount) {
    try {
      rmdirSync(r.rootMount);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") warn.push(`${r.rootMount}: ${(e as Error).message}`);
    }
  }
  for (const d of r?.scratchDirs ?? []) rmSync(d, { recursive: true, force: true });
  for (const h of r?.helpers ?? []) {
    if (isAlive(h.pid, h.start)) {
      try {
        process.kill(h.pid, "SIGKILL");
      } catch {}
    }
  }
  if (r?.bridge) {
    try {
      releaseBridge(r.bridge.bridge, id);
    } catch (e) {
      warn.push(`network: ${(e as Error).message}`);
    }
  }
  const next: ContainerState = {
    ...st,
    status: "exited",
    pid: 0,
    pidStart: "",
    shimPid: 0,
    resources: null,
    health: st.health ? { ...st.health, status: "unhealthy", failingStreak: 0 } : undefined,
    oomKilled: oom,
    exitCode: exit ? exit.code : killed ? 128 + osc.signals.SIGKILL : 255,
    finishedAt: exit?.finishedAt ?? new Date().toISOString(),
    error: exit ? "" : opts.repair ? "the container's monitor was gone; zoo cleaned up after it" : st.error,
  };
  const restart = !opts.repair && shouldRestart(cs.config(id).restart, next);
  if (restart) next.status = "restarting";
  cs.writeState(id, next);
  for (const w of warn) process.stderr.write(`zoo: cleanup of ${id.slice(0, 12)}: ${w}\n`);
  return restart;
}

/**
 * Every container that says it is running but has nobody in charge (its
 * monitor, or the command starting it, was killed) is finalized now.
 */
export async function repair(cs: Containers, only?: string[]): Promise<void> {
  if (!only) await sweep(cs);
  for (const id of only ?? cs.ids()) {
    if (!LIVE.has(cs.state(id).status) && !cs.state(id).resources) continue;
    const fd = cs.tryMonitorLock(id);
    if (fd === null) continue;
    try {
      await cs.locked(id, () => finalize(cs, id, { repair: true }));
    } finally {
      closeSync(fd);
    }
  }
}
