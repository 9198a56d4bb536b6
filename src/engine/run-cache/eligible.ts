// Which `zoo run`s get a cache entry (docs/design/run-cache.md, "zoo run"):
// a foreground --rm run whose every effect an entry can describe, and whose
// inputs are all in the key or guarded. Each check says why not, for ZOO_DEBUG.
import type { RunFlags } from "../../cli/zoo/run.ts";

export interface EngineRunFacts {
  /** zoo's arguments, as given (the first must be "run": no global flags, which may set variables). */
  argv: string[];
  euid: number;
  /** Bun.main: "/$bunfs/..." in the compiled executable. */
  main: string;
  env: Record<string, string | undefined>;
}

/** Why this run gets no entry, or null. */
export function engineRunIneligible(f: RunFlags, x: EngineRunFacts): string | null {
  if (x.env.ZOO_RUN_CACHE === "off") return "ZOO_RUN_CACHE=off";
  if (!x.main.startsWith("/$bunfs/")) return "not the compiled executable";
  if (x.euid !== 0) return "not root";
  if (x.argv[0] !== "run") return "flags before run";
  // Only a network whose setup an entry can say: lo up, or the default
  // bridge with an address zoo picks (no helper, no ports, no name that must
  // be unique across networks, no user network whose definition can change).
  const bridge = f.network === undefined || f.network === "bridge" || f.network === "default";
  if ((f.network !== "none" && !bridge) || f.moreNetworks?.length) return "a network other than none or the default bridge";
  if (bridge && (f.ip !== undefined || f.publish.length > 0 || f.name !== undefined)) return "--ip, -p or --name on a bridge network";
  // Inputs from files or our environment that the key does not hold.
  if (f.volumes.length > 0) return "-v";
  // Its cgroup filesystem is writable: sub-cgroups it makes would need removing too.
  if (f.privileged) return "--privileged";
  if (typeof f.seccomp === "object") return "a seccomp profile file";
  if (readsHostEnv(x.argv)) return "-e NAME without a value, or --env-file";
  return null;
}

/** -e NAME (the value comes from our environment) and --env-file (from a file). Flags after the image count too: too careful, never wrong. */
function readsHostEnv(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--env-file" || a.startsWith("--env-file=")) return true;
    if ((a === "-e" || a === "--env") && !(argv[i + 1] ?? "").includes("=")) return true;
    if (a.startsWith("--env=") && !a.slice("--env=".length).includes("=")) return true;
  }
  return false;
}
