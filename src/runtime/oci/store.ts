// zoo-runtime's state store: one directory per container under --root,
// state.json replaced atomically, every read-modify-write under a flock on
// the container's directory so concurrent commands never see half a state.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ContainerCgroup, type CgroupState } from "../../cgroups/index.ts";
import type { Spec } from "../../oci/spec.ts";
import { flockExclusive } from "../../sys/libc.ts";
import { RuntimeError } from "./errors.ts";
import { isAlive } from "./proc-stat.ts";

export type Status = "created" | "running" | "paused" | "stopped";

export interface ContainerState {
  ociVersion: string;
  id: string;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
  // zoo's own fields: what start/kill/delete need later.
  pidStartTime: string;
  shimPid: number;
  shimStartTime: string;
  cgroup: CgroupState | null;
  rootMount: string | null;
  fifo: string;
  /** The validated config at create time: what `exec` runs with (absent in state written by older versions). */
  spec?: Spec;
}

const ID_RE = /^[\w+.-]+$/;
const STATE_FILE = "state.json";
export const FIFO_NAME = "exec.fifo";

export function checkId(id: string): void {
  if (!ID_RE.test(id) || id === "." || id === ".." || id.length > 1024) throw new RuntimeError(`invalid container ID format: ${JSON.stringify(id)}`);
}

/** created until `start` removes the fifo; paused while its cgroup is frozen; stopped as soon as init is gone. */
export function statusOf(s: ContainerState): Status {
  if (!isAlive(s.pid, s.pidStartTime)) return "stopped";
  if (isFrozen(s)) return "paused";
  return existsSync(s.fifo) ? "created" : "running";
}

export function isFrozen(s: ContainerState): boolean {
  return s.cgroup !== null && ContainerCgroup.restore(s.cgroup).freezerState() === "frozen";
}

export class Store {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  /** Makes the container's directory; an existing one means the id is taken. */
  reserve(id: string): string {
    checkId(id);
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o711 });
    } catch (e) {
      throw new RuntimeError(`cannot create state directory ${this.root}: ${(e as Error).message}`);
    }
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new RuntimeError("container with given ID already exists");
      throw new RuntimeError(`cannot create ${dir}: ${(e as Error).message}`);
    }
    return dir;
  }

  /** Runs `fn` holding the container's lock; a missing container is "container does not exist". */
  async locked<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
    checkId(id);
    let fd: number;
    try {
      fd = openSync(this.dir(id), "r");
    } catch {
      throw new RuntimeError("container does not exist");
    }
    try {
      flockExclusive(fd);
      return await fn();
    } finally {
      closeSync(fd);
    }
  }

  read(id: string): ContainerState {
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), STATE_FILE), "utf8");
    } catch {
      // Being created (no state yet) or just deleted: not a container to act on.
      throw new RuntimeError("container does not exist");
    }
    try {
      return JSON.parse(text) as ContainerState;
    } catch {
      throw new RuntimeError(`${join(this.dir(id), STATE_FILE)}: corrupt state file`);
    }
  }

  hasState(id: string): boolean {
    return existsSync(join(this.dir(id), STATE_FILE));
  }

  write(s: ContainerState): void {
    const file = join(this.dir(s.id), STATE_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(s), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((e) => ID_RE.test(e)).sort();
    } catch {
      return [];
    }
  }
}
