// Where a container's device rules go: a v1 devices hierarchy gets them
// written (the kernel keeps the list); without one, the container's cgroup2
// directory gets an eBPF program compiled from the same rules. Applied before
// the container's command runs; an fd opened earlier is never checked again.
import type { CgroupPath } from "../../cgroups/index.ts";
import { inUserNamespace } from "../oci/root-dir.ts";
import { attachDeviceProgram } from "./attach.ts";
import { realBpf, type BpfOps } from "./bpf-ops.ts";
import { emulate } from "./emulate.ts";
import { compileProgram, type Insn } from "./program.ts";
import type { Rule } from "./rules.ts";
import { writeV1Rules } from "./v1.ts";

export interface RestrictOptions {
  ops?: BpfOps;
  /** Whether this process may set device rules; default: root outside any user namespace. */
  privileged?: boolean;
}

/** Where the rules go: a v1 devices directory, or a v2 directory and its program; null when nowhere. */
export type DevicePlan = { version: 1; dir: string; rules: Rule[] } | { version: 2; dir: string; program: Insn[] } | null;

/** What restrictDevices does, decided and not done (the run cache records it). */
export function planDevices(paths: CgroupPath[], rules: Rule[], privileged = initialNsRoot()): DevicePlan {
  const v1 = paths.find((p) => p.version === 1 && p.controllers.includes("devices"));
  const v2 = paths.find((p) => p.version === 2);
  if (!v1 && !v2) return null;
  // Writing devices.allow/deny and bpf(2) both want CAP_SYS_ADMIN (or
  // CAP_BPF) in the initial user namespace. Rootless, runc skips device
  // rules too: the container has only the nodes it was given, and its
  // CAP_MKNOD counts only in its own user namespace.
  if (!privileged) return null;
  if (v1) return { version: 1, dir: v1.dir, rules };
  return { version: 2, dir: v2!.dir, program: compileProgram(emulate(rules)) };
}

/** Which hierarchy enforces the rules now, or null when none can (no cgroup of its own, rootless). */
export function restrictDevices(paths: CgroupPath[], rules: Rule[], o: RestrictOptions = {}): "v1" | "v2" | null {
  const plan = planDevices(paths, rules, o.privileged);
  if (plan === null) return null;
  if (plan.version === 1) {
    writeV1Rules(plan.dir, plan.rules);
    return "v1";
  }
  attachDeviceProgram(plan.dir, plan.program, o.ops ?? realBpf);
  return "v2";
}

const initialNsRoot = () => process.geteuid?.() === 0 && !inUserNamespace();
