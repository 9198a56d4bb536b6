// `zoo run`'s security settings → capability set, seccomp filter and paths.
// Pure apart from reading a profile file and our own bounding set, so the
// decisions can be unit-tested.
import { readFileSync } from "node:fs";
import { ALL_CAPS, CAPABILITIES, capNames } from "../oci/caps.ts";
import { compileSeccompCachedWith, defaultSeccompCache } from "../seccomp/cache.ts";
import { compileSeccomp, defaultProfileFor, hostArch, SeccompError, type LinuxSeccomp } from "../seccomp/index.ts";
import { resolveDockerProfile } from "../seccomp/profiles/docker-file.ts";
import { UsageError } from "../util/errors.ts";
import { DEFAULT_CAPS, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "./defaults.ts";

export interface SecurityFlags {
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  /** Absent: the default profile. */
  seccomp?: "unconfined" | { file: string };
  noNewPrivileges: boolean;
}

export interface Security {
  caps: string[];
  seccomp: { program: Uint8Array; flags: number } | null;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysRw: boolean;
  noNewPrivileges: boolean;
}

/** "sys_admin", "CAP_SYS_ADMIN", "Sys_Admin" → "CAP_SYS_ADMIN"; "all" → "ALL". */
export function normalizeCap(raw: string, flag: string): string {
  const up = raw.trim().toUpperCase();
  if (up === "ALL") return "ALL";
  const name = up.startsWith("CAP_") ? up : `CAP_${up}`;
  if (!(CAPABILITIES as readonly string[]).includes(name)) {
    throw new UsageError(`run: ${flag} "${raw}": unknown capability (give a name from capabilities(7), e.g. NET_ADMIN, or ALL)`);
  }
  return name;
}

/**
 * Docker's rules: start from the default set (all of them with --privileged),
 * --cap-drop ALL empties it, --cap-add ALL fills it, then the named drops and
 * adds apply, adds last so `--cap-drop ALL --cap-add X` means "only X".
 * `available` is what this process can hand on (its bounding set): asking for
 * more is refused here rather than by the kernel mid-setup.
 */
export function resolveCaps(f: Pick<SecurityFlags, "capAdd" | "capDrop" | "privileged">, available: readonly string[]): string[] {
  const add = f.capAdd.map((c) => normalizeCap(c, "--cap-add"));
  const drop = f.capDrop.map((c) => normalizeCap(c, "--cap-drop"));
  const avail = new Set(available);
  let set = new Set<string>(f.privileged ? available : DEFAULT_CAPS);
  if (drop.includes("ALL")) set = new Set();
  if (add.includes("ALL")) set = new Set(available);
  for (const c of drop) set.delete(c);
  for (const c of add) {
    if (c === "ALL") continue;
    if (!avail.has(c)) throw new UsageError(`run: --cap-add ${c}: zoo itself does not hold ${c}, so it cannot give it to a container`);
    set.add(c);
  }
  for (const c of set) if (!avail.has(c)) set.delete(c);
  return CAPABILITIES.filter((c) => set.has(c));
}

/** This process's bounding set: the most any container it starts can have. */
export function ownBoundingSet(status = readFileSync("/proc/self/status", "utf8")): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  return m ? capNames(BigInt(`0x${m[1]}`)) : [...ALL_CAPS];
}

export function loadProfileFile(file: string, caps: readonly string[]): LinuxSeccomp {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`run: --security-opt seccomp=${file}: cannot read the profile: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`run: --security-opt seccomp=${file}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return resolveDockerProfile(json, { caps, arch: hostArch() });
  } catch (e) {
    if (e instanceof SeccompError) throw new UsageError(`run: --security-opt seccomp=${file}: ${profileMessage(e)}`);
    throw e;
  }
}

export function resolveSecurity(f: SecurityFlags, available: readonly string[] = ownBoundingSet()): Security {
  if (f.privileged && f.seccomp && f.seccomp !== "unconfined") {
    // Docker silently drops the profile here; a user who named one should hear that it would not apply.
    throw new UsageError("run: --privileged runs without seccomp, so --security-opt seccomp=FILE cannot apply; drop one of them");
  }
  const caps = resolveCaps(f, available);
  let seccomp: Security["seccomp"] = null;
  if (!f.privileged && f.seccomp !== "unconfined") {
    const profile = f.seccomp ? loadProfileFile(f.seccomp.file, caps) : defaultProfileFor(caps);
    try {
      const c = compileSeccompCachedWith(compileSeccomp, profile, defaultSeccompCache());
      if (c.needsListener) throw new UsageError(`run: --security-opt seccomp=${f.seccomp!.file}: SCMP_ACT_NOTIFY needs a seccomp agent, which zoo run does not have`);
      seccomp = { program: c.bytes, flags: c.flags };
    } catch (e) {
      if (e instanceof SeccompError && f.seccomp) throw new UsageError(`run: --security-opt seccomp=${f.seccomp.file}: ${profileMessage(e)}`);
      throw e;
    }
  }
  return {
    caps,
    seccomp,
    maskedPaths: f.privileged ? [] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: f.privileged ? [] : [...DEFAULT_READONLY_PATHS],
    sysRw: f.privileged,
    noNewPrivileges: f.noNewPrivileges,
  };
}

// The compiler names fields under linux.seccomp (config.json); in a profile file they are top-level.
const profileMessage = (e: Error) => e.message.replace(/^linux\.seccomp(\.|: )/, "");
