// Freezing a cgroup (zoo-runtime pause/resume). v1: the freezer controller's
// freezer.state, FREEZING until every task has stopped. v2: cgroup.freeze,
// with cgroup.events saying "frozen 1" once it took. Both are asynchronous,
// so both wait, bounded, and undo a freeze that does not complete.

import { CgroupError, CgroupWriteError } from "./errors.ts";
import { parseFlatKeyed, readControl, type CgroupFs } from "./fs.ts";

export type FreezerState = "frozen" | "freezing" | "thawed";

export interface FreezeEnv {
  cfs: CgroupFs;
  sleep: (ms: number) => Promise<void>;
  /** How long a freeze may take before it is undone; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function write(cfs: CgroupFs, dir: string, file: string, value: string): void {
  try {
    cfs.writeFile(`${dir}/${file}`, value);
  } catch (err) {
    throw new CgroupWriteError(dir, file, value, err);
  }
}

export function v1FreezerState(cfs: CgroupFs, dir: string): FreezerState | undefined {
  switch (readControl(cfs, dir, "freezer.state")?.trim()) {
    case "FROZEN":
      return "frozen";
    case "FREEZING":
      return "freezing";
    case "THAWED":
      return "thawed";
    default:
      return undefined;
  }
}

export function v2FreezerState(cfs: CgroupFs, dir: string): FreezerState | undefined {
  const events = readControl(cfs, dir, "cgroup.events");
  const want = readControl(cfs, dir, "cgroup.freeze")?.trim();
  if (events === undefined || want === undefined) return undefined;
  if (parseFlatKeyed(events).get("frozen") === "1") return "frozen";
  return want === "1" ? "freezing" : "thawed";
}

/** Polls `done` until true or the deadline; true when it became true. */
async function waitUntil(env: FreezeEnv, deadline: number, done: () => boolean, onRetry?: (round: number) => Promise<void> | void): Promise<boolean> {
  for (let round = 0, delay = 1; ; round++, delay = Math.min(delay * 2, 20)) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await onRetry?.(round);
    await env.sleep(delay);
  }
}

export async function v1SetFrozen(env: FreezeEnv, dir: string, frozen: boolean): Promise<void> {
  const { cfs } = env;
  const deadline = Date.now() + (env.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (!frozen) {
    write(cfs, dir, "freezer.state", "THAWED");
    if (!(await waitUntil(env, deadline, () => v1FreezerState(cfs, dir) === "thawed"))) {
      throw new CgroupError(`cannot thaw ${dir}: freezer.state is still ${v1FreezerState(cfs, dir)?.toUpperCase()}`, { path: dir });
    }
    return;
  }
  write(cfs, dir, "freezer.state", "FROZEN");
  // A task forking or stuck in an uninterruptible sleep can keep the cgroup
  // FREEZING; writing FROZEN again retries, a brief thaw lets stuck ones move on.
  const ok = await waitUntil(
    env,
    deadline,
    () => v1FreezerState(cfs, dir) === "frozen",
    async (round) => {
      if (round % 50 === 49) {
        write(cfs, dir, "freezer.state", "THAWED");
        await env.sleep(10);
      }
      write(cfs, dir, "freezer.state", "FROZEN");
    },
  );
  if (!ok) {
    try {
      cfs.writeFile(`${dir}/freezer.state`, "THAWED");
    } catch {
      // The timeout is the error worth reporting.
    }
    throw new CgroupError(`cannot freeze ${dir}: still FREEZING after ${env.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms (a task may be stuck in the kernel); thawed it again`, { path: dir });
  }
}

export async function v2SetFrozen(env: FreezeEnv, dir: string, frozen: boolean): Promise<void> {
  const { cfs } = env;
  const deadline = Date.now() + (env.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  write(cfs, dir, "cgroup.freeze", frozen ? "1" : "0");
  const want: FreezerState = frozen ? "frozen" : "thawed";
  if (await waitUntil(env, deadline, () => v2FreezerState(cfs, dir) === want)) return;
  if (frozen) {
    try {
      cfs.writeFile(`${dir}/cgroup.freeze`, "0");
    } catch {
      // The timeout is the error worth reporting.
    }
    throw new CgroupError(`cannot freeze ${dir}: cgroup.events does not say frozen after ${env.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms; thawed it again`, { path: dir });
  }
  throw new CgroupError(`cannot thaw ${dir}: cgroup.events still says frozen`, { path: dir });
}
