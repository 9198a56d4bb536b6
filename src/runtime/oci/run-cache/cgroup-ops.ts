// The cgroup layer's recorded effects and the device rules as host ops, the
// same in zoo-runtime and zoo run entries. `path` and `text` turn this run's
// paths and contents into templates, each builder its own way (structural or
// by search); the child's pid in a cgroup.procs is the P marker either way.
import { join } from "node:path";
import type { CgroupPath } from "../../../cgroups/index.ts";
import { Mark, type PhaseId } from "../../../plan/replay-ids.ts";
import { planDevices } from "../../device-cgroup/apply.ts";
import { encodeProgram } from "../../device-cgroup/program.ts";
import type { Rule } from "../../device-cgroup/rules.ts";
import { v1Writes } from "../../device-cgroup/v1.ts";
import type { HostOp } from "./entry.ts";
import type { RunRecorder } from "./record.ts";
import { no } from "./refused.ts";
import { marker } from "./template.ts";

type Template = (s: string) => string;

/**
 * The recorded mkdirs, writes and opens of these phases, in record order; an
 * open must be the fd the shim gets at `slot`; `pid` is the child's, as written.
 */
export function cgroupLayerOps(r: RunRecorder, phases: readonly PhaseId[], pid: string, slot: { fd: number; slot: number } | undefined, path: Template, text: Template): HostOp[] {
  return r.cgroupOps
    .filter((o) => phases.includes(o.phase))
    .map((o): HostOp => {
      if (o.op === "mkdir") return { op: "mkdir", phase: o.phase, mode: o.mode, flags: 0, path: path(o.path) };
      if (o.op === "open") {
        if (o.fd !== slot?.fd) no(`the cgroup layer opened ${o.path} for something else`);
        return { op: "open", phase: o.phase, flags: o.flags, slot: slot!.slot, path: path(o.path) };
      }
      const isPid = o.path.endsWith("/cgroup.procs") && o.content === pid;
      return { op: "write", phase: o.phase, path: path(o.path), content: isPid ? marker(Mark.PID) : text(o.content) };
    });
}

/** The device rules as the run applied them: v1 writes, or the v2 program. */
export function deviceOps(paths: CgroupPath[], rules: Rule[], phase: PhaseId, path: Template, text: Template): HostOp[] {
  const d = planDevices(paths, rules);
  if (d?.version === 1) return v1Writes(d.rules).map(([file, line]): HostOp => ({ op: "write", phase, path: path(join(d.dir, file)), content: text(line) }));
  if (d?.version === 2) return [{ op: "device-bpf", phase, dir: path(d.dir), insns: encodeProgram(d.program) }];
  return [];
}
