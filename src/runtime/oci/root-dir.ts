// Where zoo-runtime keeps its state when --root is not given: runc's rule.
// Real root uses /run/zoo-runtime; anyone else, root of a user namespace
// included (rootless podman runs the runtime as uid 0 inside its own),
// $XDG_RUNTIME_DIR/zoo-runtime, unless $USER says root.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../util/errors.ts";

export interface RootFacts {
  euid: number;
  inUserNs: boolean;
  env: Record<string, string | undefined>;
}

/** True inside any user namespace but the initial one (whose uid_map maps everything). */
export function inUserNamespace(): boolean {
  try {
    return readFileSync("/proc/self/uid_map", "utf8").trim().split(/\s+/).join(" ") !== "0 0 4294967295";
  } catch {
    return false;
  }
}

/** runc's shouldHonorXDGRuntimeDir. */
function honourXdg(f: RootFacts): boolean {
  if (!f.env.XDG_RUNTIME_DIR) return false;
  if (f.euid !== 0) return true;
  if (!f.inUserNs) return false;
  return f.env.USER !== "root";
}

export function defaultRoot(rootless: "auto" | "true" | "false", f: RootFacts): string {
  if (honourXdg(f) && rootless !== "false") return join(f.env.XDG_RUNTIME_DIR!, "zoo-runtime");
  if (rootless === "true" || (rootless === "auto" && f.euid !== 0)) {
    throw new UsageError("rootless: XDG_RUNTIME_DIR is not set; pass --root DIR");
  }
  return "/run/zoo-runtime";
}
