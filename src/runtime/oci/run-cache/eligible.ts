// Which `zoo-runtime run`s get a cache entry (docs/design/run-cache.md,
// "Which runs are cached"): only those whose every effect an entry can
// describe. Each check says why not, for ZOO_DEBUG.
import type { Spec } from "../../../oci/spec.ts";
import { MARK } from "../../../plan/replay-ids.ts";

export interface RunFacts {
  detach: boolean;
  consoleSocket?: string;
  preserveFds?: number;
  systemdCgroup?: boolean;
  /** --debug: the debug line goes to stderr or the log, which a replay would not write. */
  debug?: boolean;
  euid: number;
  /** Bun.main: "/$bunfs/..." in the compiled executable. */
  main: string;
  env: Record<string, string | undefined>;
}

/** Why this run gets no entry before its config is read, or null. */
export function runIneligible(f: RunFacts): string | null {
  if (f.env.ZOO_RUN_CACHE === "off") return "ZOO_RUN_CACHE=off";
  if (!f.main.startsWith("/$bunfs/")) return "not the compiled executable";
  if (f.euid !== 0) return "not root";
  if (f.detach) return "--detach";
  if (f.consoleSocket !== undefined) return "--console-socket";
  if ((f.preserveFds ?? 0) > 0) return "--preserve-fds";
  if (f.systemdCgroup) return "--systemd-cgroup";
  if (f.debug) return "--debug";
  return null;
}

/** Why this config gets no entry, or null. */
export function specIneligible(spec: Spec): string | null {
  if (spec.process?.terminal) return "process.terminal";
  if (Object.values(spec.hooks ?? {}).some((h) => Array.isArray(h) && h.length > 0)) return "hooks";
  if (spec.linux?.seccomp?.listenerPath) return "a seccomp listener";
  if ((spec.linux?.namespaces ?? []).some((n) => n.type === "user")) return "a user namespace";
  return null;
}

/** True when any of these holds byte 0x01, the marker. */
export function hasMarkByte(...values: (string | Uint8Array | undefined | null)[]): boolean {
  return values.some((v) => (typeof v === "string" ? v.includes(String.fromCharCode(MARK)) : v ? v.includes(MARK) : false));
}
