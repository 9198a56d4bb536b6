// What a cache entry says, before it is bytes: the key, the guards, the shim
// and its plan template, the CLEANUP list and the host ops by phase
// (docs/design/run-cache.md). Strings here are templates: byte 0x01 and a
// letter stand for this run's values.
import type { PhaseId } from "../../../plan/replay-ids.ts";

export type Guard = { kind: "file"; path: string; content: Uint8Array } | { kind: "stat"; path: string; is: number };

export type HostOp =
  | { op: "mkdir"; phase: PhaseId; mode: number; flags: number; path: string }
  | { op: "lock"; phase: PhaseId; path: string }
  | { op: "unlock"; phase: PhaseId; path: string }
  | { op: "mkfifo"; phase: PhaseId; mode: number; path: string }
  | { op: "open"; phase: PhaseId; flags: number; slot: number; path: string }
  | { op: "write"; phase: PhaseId; path: string; content: string }
  | { op: "replace"; phase: PhaseId; mode: number; path: string; content: string }
  | { op: "device-bpf"; phase: PhaseId; dir: string; insns: Uint8Array }
  | { op: "rmdir"; phase: PhaseId; flags: number; path: string }
  | { op: "rmtree"; phase: PhaseId; path: string }
  | { op: "start"; phase: PhaseId; fifo: string }
  | { op: "rmtree-all"; phase: PhaseId; path: string }
  | { op: "oom-note"; phase: PhaseId; file: string; message: string }
  | { op: "netlink"; phase: PhaseId; where: number; protocol: number; okErrno: number; expect: { offset: number; value: number } | null; message: Uint8Array; sites: PlanSite[] }
  | { op: "lease"; phase: PhaseId; lock: string; dir: string; file: string; content: string; args: string[] }
  | { op: "release"; phase: PhaseId; lock: string; dir: string; file: string; content: string; args: string[] }
  | { op: "dbus"; phase: PhaseId; socket: string; messages: Uint8Array; sites: PlanSite[] }
  | { op: "await-cgroup"; phase: PhaseId; timeoutMs: number; suffix: string };

export interface PlanSite {
  offset: number;
  kind: number;
}

export interface Entry {
  key: Uint8Array;
  /** RFlag bits; 0 for a zoo-runtime run. */
  flags?: number;
  guards: Guard[];
  shim: string;
  plan: Uint8Array;
  sites: PlanSite[];
  cleanup: string[];
  ops: HostOp[];
}
