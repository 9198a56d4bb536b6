// Turns the shim's failure record into the one line the user sees.
import { Stage } from "../plan/ids.ts";
import { describeStep, type PlanStep } from "../plan/ops.ts";
import { strerror } from "../sys/errno.ts";
import type { ShimFailure } from "./sync.ts";

export function describeFailure(f: ShimFailure, ops: PlanStep[]): string {
  const err = strerror(f.errno);
  switch (f.stage) {
    case Stage.EXEC: {
      const what = f.errno === 2 ? "command not found" : f.errno === 13 ? "permission denied" : err;
      return `cannot run ${f.object || "the command"}: ${what}`;
    }
    case Stage.OP: {
      const op = ops[f.opIndex];
      const label = op ? describeStep(op) : `op ${f.opIndex}`;
      // The terminal op does several things; the shim names the one that failed.
      if (op?.op === "tty" && f.object) return `${label} (${f.object}): ${err}`;
      // The kernel checks the offset against the clock's current value.
      if (op?.op === "timeNs" && f.errno === 34) return `${label}: an offset takes its clock below zero (a negative one larger than the host's uptime) or past the kernel's limit; use a smaller one`;
      if (op?.op === "timeNs" && f.object) return `${label} (${f.object}): ${err}`;
      // The shim's answer to a cwd that resolved outside the root (EXDEV).
      if (op?.op === "chdir" && f.errno === 18) return `${label}: the directory is outside the container's root filesystem`;
      return `${label}: ${err}`;
    }
    case Stage.CLONE:
      return `cannot create the container's namespaces (clone): ${err}`;
    case Stage.SETNS:
      return `cannot join namespace ${f.object}: ${err}`;
    case Stage.PLAN:
      // A record this shim does not know: TS and shim are from different builds.
      if (/^unknown record type/.test(f.object)) return `zoo-shim rejected the plan at record ${f.opIndex}: ${f.object} (zoo-shim is from another build of zoo; install both from one build)`;
      // Most reasons name their record already.
      if (f.object.startsWith("record ")) return `zoo-shim rejected the plan: ${f.object}`;
      return `zoo-shim rejected the plan at record ${f.opIndex}${f.object ? ` (${f.object})` : ""}: ${err}`;
    default:
      return `zoo-shim sync failed${f.object ? ` (${f.object})` : ""}: ${err}`;
  }
}
