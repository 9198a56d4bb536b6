// Health checks (--health-cmd): the monitor starts `zoo container
// healthcheck --root STORE ID` every interval while the container runs
// (native/src/health.c); that runs the check with `zoo exec` under a timeout
// and records the result with Docker's rules: failures during the start
// period do not count, `retries` failures in a row make it unhealthy, one
// success makes it healthy. The last five results are kept.
import type { RunFlags } from "../../cli/zoo/run.ts";
import { UsageError } from "../../util/errors.ts";
import { selfCommand } from "./start.ts";
import { Containers, type ContainerState } from "./store.ts";

export interface HealthConfig {
  cmd: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  status: "starting" | "healthy" | "unhealthy";
  failingStreak: number;
  log: HealthResult[];
}

/** Go durations as Docker takes them: 1h2m3s, 500ms, 1.5s. */
export function parseDuration(v: string, what: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let ms = 0;
  let used = 0;
  for (const m of v.matchAll(re)) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    used += m[0].length;
  }
  if (used !== v.length || v === "") throw new UsageError(`invalid ${what} "${v}": give a duration such as 30s, 1m30s or 500ms`);
  return ms;
}

export function healthConfig(f: RunFlags): HealthConfig | undefined {
  if (f.healthCmd === undefined) return undefined;
  const retries = f.healthRetries === undefined ? 3 : Number(f.healthRetries);
  if (!Number.isInteger(retries) || retries < 1) throw new UsageError(`invalid --health-retries "${f.healthRetries}": give a whole number of 1 or more`);
  const c = {
    cmd: f.healthCmd,
    intervalMs: f.healthInterval ? parseDuration(f.healthInterval, "--health-interval") : 30_000,
    timeoutMs: f.healthTimeout ? parseDuration(f.healthTimeout, "--health-timeout") : 30_000,
    startPeriodMs: f.healthStartPeriod ? parseDuration(f.healthStartPeriod, "--health-start-period") : 0,
    retries,
  };
  if (c.intervalMs < 100) throw new UsageError(`--health-interval "${f.healthInterval}" is too short: at least 100ms`);
  return c;
}

/** Docker's transition for one result. */
export function nextHealth(h: HealthState, r: HealthResult, c: HealthConfig, startedAt: string): HealthState {
  const log = [...h.log, r].slice(-5);
  if (r.ExitCode === 0) return { status: "healthy", failingStreak: 0, log };
  const inStart = Date.parse(r.Start) - Date.parse(startedAt) < c.startPeriodMs;
  if (inStart && h.status === "starting") return { ...h, log };
  const failingStreak = h.failingStreak + 1;
  return { status: failingStreak >= c.retries ? "unhealthy" : h.status, failingStreak, log };
}

/** The monitor's health command. */
export async function healthcheck(root: string, id: string): Promise<number> {
  process.env.PATH ||= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const cs = new Containers(root);
  const c = cs.config(id).health;
  if (!c || cs.state(id).status !== "running") return 0;
  const start = new Date().toISOString();
  const p = Bun.spawn([...selfCommand(), "exec", id, "sh", "-c", c.cmd], {
    env: { ...process.env, ZOO_ROOT: root },
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    p.kill("SIGKILL");
  }, c.timeoutMs);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  clearTimeout(timer);
  const r: HealthResult = {
    Start: start,
    End: new Date().toISOString(),
    ExitCode: timedOut ? -1 : code,
    Output: timedOut ? `Health check exceeded timeout (${c.timeoutMs / 1000}s)` : (out + err).slice(0, 4096),
  };
  await cs.locked(id, () => {
    const s: ContainerState = cs.state(id);
    if (s.status !== "running") return;
    cs.writeState(id, { ...s, health: nextHealth(s.health ?? { status: "starting", failingStreak: 0, log: [] }, r, c, s.startedAt) });
  });
  return 0;
}
