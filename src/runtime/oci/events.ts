// `zoo-runtime events`: with --stats one stats event; otherwise a stats event
// every --interval and an "oom" event whenever the kernel OOM-kills in the
// container's cgroup (the counter in memory.oom_control on v1, memory.events
// on v2), until the container stops.
import { ContainerCgroup } from "../../cgroups/index.ts";
import { RuntimeError } from "./errors.ts";
import { collectStats, eventLine } from "./events-stats.ts";
import { isAlive } from "./proc-stat.ts";
import { statusOf, type Store } from "./store.ts";

const POLL_MS = 100;

export async function events(store: Store, o: { id: string; stats: boolean; intervalMs: number }, write: (line: string) => void): Promise<void> {
  const s = await store.locked(o.id, () => store.read(o.id));
  if (statusOf(s) === "stopped") throw new RuntimeError("container not running");
  const cg = s.cgroup ? ContainerCgroup.restore(s.cgroup) : null;
  if (o.stats) {
    write(eventLine("stats", o.id, collectStats(cg)));
    return;
  }
  let ooms = cg?.oomKills()?.count ?? 0;
  let nextStats = Date.now() + o.intervalMs;
  while (isAlive(s.pid, s.pidStartTime)) {
    const now = cg?.oomKills()?.count ?? 0;
    if (now > ooms) write(eventLine("oom", o.id));
    ooms = now;
    if (Date.now() >= nextStats) {
      write(eventLine("stats", o.id, collectStats(cg)));
      nextStats += o.intervalMs;
    }
    await Bun.sleep(Math.min(POLL_MS, Math.max(1, nextStats - Date.now())));
  }
}
