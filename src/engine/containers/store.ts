// The engine's container store: <store>/containers/<id>/ holds a container's
// record (config.json: what it was created with; state.json: what it is now),
// its overlay upper/work dirs, its log and the files its monitor writes.
// Concurrency, all by flock:
//   containers.lock       the store: names and the set of ids
//   <id>/lock             the container's state (short read-modify-writes)
//   <id>/monitor.lock     held by the container's zoo-shim monitor (passed on
//                         by fd from the zoo command that started it, and on
//                         to the monitor's exit command), so "someone is in
//                         charge of this container" is exactly "the lock is
//                         held" and survives a SIGKILL of anything.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunFlags } from "../../cli/zoo/run.ts";
import type { CgroupState } from "../../cgroups/index.ts";
import { flockExclusive, flockTry } from "../../sys/libc.ts";
import type { HealthConfig, HealthState } from "./health.ts";
import { ZooError } from "../../util/errors.ts";

export type Status = "created" | "running" | "paused" | "restarting" | "exited" | "removing" | "dead";

export interface RestartPolicy {
  name: "no" | "on-failure" | "always" | "unless-stopped";
  maxRetries: number;
}

export interface LogOptions {
  maxSize: number;
  maxFiles: number;
}

/** Written at create; only `name` changes later (rename). */
export interface ContainerConfig {
  id: string;
  name: string;
  created: string;
  image: string;
  imageId: string;
  flags: RunFlags;
  restart: RestartPolicy;
  log: LogOptions;
  /** The command as run (entrypoint + cmd), for ps and inspect. */
  args: string[];
  hostname: string;
  rootless: boolean;
  health?: HealthConfig;
  /** What stop sends first; SIGTERM when absent. */
  stopSignal?: string;
}

/** What a running container holds on the host, released when it ends. */
export interface Resources {
  cgroup: CgroupState | null;
  rootMount: string | null;
  scratchDirs: string[];
  helpers: { pid: number; start: string }[];
  bridge?: { bridge: string; network: string; ip: string; prefix: number; gateway: string };
}

export interface ContainerState {
  status: Status;
  pid: number;
  pidStart: string;
  shimPid: number;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  restartCount: number;
  /** stop (or rm -f) asked for the end: no restart policy applies. */
  stoppedByUser: boolean;
  resources: Resources | null;
  health?: HealthState;
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";

export function initialState(): ContainerState {
  return {
    status: "created", pid: 0, pidStart: "", shimPid: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME,
    exitCode: 0, oomKilled: false, error: "", restartCount: 0, stoppedByUser: false, resources: null,
  };
}

const ID_RE = /^[0-9a-f]{64}$/;

function writeJson(file: string, value: unknown) {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 1), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export class Containers {
  readonly dir: string;

  constructor(readonly root: string) {
    this.dir = join(root, "containers");
  }

  path(id: string, file = ""): string {
    return join(this.dir, id, file);
  }

  /** Runs `fn` holding the store lock (names, creation, removal). */
  async storeLocked<T>(fn: () => T | Promise<T>): Promise<T> {
    mkdirSync(this.dir, { recursive: true, mode: 0o711 });
    return withLock(join(this.root, "containers.lock"), fn);
  }

  /** Runs `fn` holding the container's state lock. */
  async locked<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
    if (!existsSync(this.path(id))) throw new ZooError(`No such container: ${id}`, 1);
    return withLock(this.path(id, "lock"), fn);
  }

  ids(): string[] {
    try {
      return readdirSync(this.dir).filter((e) => ID_RE.test(e) && existsSync(this.path(e, "config.json")));
    } catch {
      return [];
    }
  }

  config(id: string): ContainerConfig {
    return JSON.parse(readFileSync(this.path(id, "config.json"), "utf8")) as ContainerConfig;
  }

  writeConfig(c: ContainerConfig): void {
    writeJson(this.path(c.id, "config.json"), c);
  }

  state(id: string): ContainerState {
    try {
      return JSON.parse(readFileSync(this.path(id, "state.json"), "utf8")) as ContainerState;
    } catch {
      return initialState();
    }
  }

  writeState(id: string, s: ContainerState): void {
    writeJson(this.path(id, "state.json"), s);
  }

  /** All containers, for ps and name checks. A half-removed one is skipped. */
  all(): { config: ContainerConfig; state: ContainerState }[] {
    const out = [];
    for (const id of this.ids()) {
      try {
        out.push({ config: this.config(id), state: this.state(id) });
      } catch {}
    }
    return out;
  }

  /** A name, a full id or a unique id prefix → the id. */
  resolve(ref: string): string {
    const all = this.all();
    const byName = all.find((c) => c.config.name === ref || c.config.name === ref.replace(/^\//, ""));
    if (byName) return byName.config.id;
    const byId = all.filter((c) => c.config.id.startsWith(ref));
    if (ref.length > 0 && byId.length === 1) return byId[0]!.config.id;
    if (byId.length > 1 && ref.length > 0) throw new ZooError(`multiple containers match "${ref}": give more of the id`, 1);
    throw new ZooError(`No such container: ${ref}`, 1);
  }

  /** Opens the monitor lock; held: fd (ours to pass on), else null (someone is in charge). */
  tryMonitorLock(id: string): number | null {
    const fd = openSync(this.path(id, "monitor.lock"), "a", 0o600);
    if (flockTry(fd)) return fd;
    closeSync(fd);
    return null;
  }

  /** Whether a monitor (or the command starting one, or its exit command) is in charge. */
  monitored(id: string): boolean {
    if (!existsSync(this.path(id))) return false;
    const fd = this.tryMonitorLock(id);
    if (fd === null) return true;
    closeSync(fd);
    return false;
  }
}

async function withLock<T>(file: string, fn: () => T | Promise<T>): Promise<T> {
  const fd = openSync(file, "a", 0o600);
  try {
    flockExclusive(fd);
    return await fn();
  } finally {
    closeSync(fd);
  }
}
