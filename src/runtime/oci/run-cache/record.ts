// Watches one `run` for its cache entry: the cgroup layer's writes through a
// CgroupFs that does them and notes them, the launch's decisions through its
// observer, and what create and run hand over. It never changes what the run
// does, and never throws into it: anything it cannot describe only means no
// entry.
import { readFileSync } from "node:fs";
import { CGROUP_DIR_MODE, realFs, type CgroupFs } from "../../../cgroups/fs.ts";
import type { Spec } from "../../../oci/spec.ts";
import { Phase, type PhaseId } from "../../../plan/replay-ids.ts";
import type { LaunchObserver, PlannedLaunch, SourceKind } from "../../launch.ts";
import type { Rule } from "../../device-cgroup/rules.ts";
import type { ContainerState } from "../store.ts";
import { specIneligible } from "./eligible.ts";

/** A cgroup-layer effect with this run's real values. */
export type CgroupOp =
  | { op: "mkdir"; phase: PhaseId; mode: number; path: string }
  | { op: "write"; phase: PhaseId; path: string; content: string }
  | { op: "open"; phase: PhaseId; flags: number; fd: number; path: string };

export interface CreatedFacts {
  /** The state as written to state.json. */
  state: ContainerState;
  deviceRules: Rule[];
  /** Absolute. */
  pidFile?: string;
}

export class RunRecorder implements LaunchObserver {
  protected phase: PhaseId = Phase.PREPARE;
  refused: string | null = null;
  readonly cgroupOps: CgroupOp[] = [];
  readonly sources = new Map<string, SourceKind>();
  launch: PlannedLaunch | null = null;
  bundle: { dir: string; spec: Spec; raw: Uint8Array } | null = null;
  created: CreatedFacts | null = null;
  /** Read as the run starts: what the cgroup layer placed the container by. */
  readonly procCgroup: Uint8Array | null;
  readonly uidMap: Uint8Array | null;
  readonly fs: CgroupFs;

  /** `argv`: the arguments after the program name; `root`: the state root as the store has it. */
  constructor(
    readonly argv: string[],
    readonly root: string,
  ) {
    this.procCgroup = readOrNull("/proc/self/cgroup");
    this.uidMap = readOrNull("/proc/self/uid_map");
    this.fs = this.recordingFs();
  }

  refuse(why: string): void {
    this.refused ??= why;
  }

  bundleLoaded(dir: string, spec: Spec, raw: Uint8Array): void {
    this.bundle = { dir, spec, raw };
    const why = specIneligible(spec);
    if (why) this.refuse(why);
  }

  source(path: string, kind: SourceKind): void {
    if (kind === "unknown") this.refuse(`cannot stat ${path}`);
    this.sources.set(path, kind);
  }

  planned(p: PlannedLaunch): void {
    if (this.launch) this.refuse("launched twice");
    this.launch = p;
  }

  /** The container's first process, from CHILD_PID. */
  childPid = 0;

  child(pid: number): void {
    this.childPid = pid;
    this.phase = Phase.CHILD;
  }

  exited(): void {
    this.phase = Phase.TEARDOWN;
  }

  cleanupFailed(failures: string[]): void {
    this.refuse(`a cleanup failed: ${failures[0]}`);
  }

  createdContainer(f: CreatedFacts): void {
    this.created = f;
  }

  private recordingFs(): CgroupFs {
    const note = (op: CgroupOp) => this.cgroupOps.push(op);
    return {
      ...realFs,
      mkdir: (path) => {
        realFs.mkdir(path);
        note({ op: "mkdir", phase: this.phase, mode: CGROUP_DIR_MODE, path });
      },
      writeFile: (path, value) => {
        realFs.writeFile(path, value);
        note({ op: "write", phase: this.phase, path, content: value });
      },
      open: (path, flags) => {
        const fd = realFs.open(path, flags);
        note({ op: "open", phase: this.phase, flags, fd, path });
        return fd;
      },
      rmdir: (path) => {
        // Only a failed create removes cgroups before the container has ended.
        if (this.phase !== Phase.TEARDOWN) this.refuse(`cgroup rmdir ${path}`);
        realFs.rmdir(path);
      },
    };
  }
}

function readOrNull(path: string): Uint8Array | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}
