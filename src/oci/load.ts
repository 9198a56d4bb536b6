// Reads and validates a bundle's config.json against this host.
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Spec } from "./spec.ts";
import { ConfigError, validateConfig } from "./validate.ts";

const RLIM_INFINITY = 0xffffffffffffffffn;
const CAP_SYS_RESOURCE = 24n;

/** `raw`: config.json's bytes as read, which the run cache guards on. */
export function loadBundle(bundleArg: string, opts: { systemdCgroup?: boolean } = {}): { bundle: string; spec: Spec; raw: Uint8Array } {
  const bundle = resolve(bundleArg);
  const file = join(bundle, "config.json");
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError("JSON specification file config.json not found");
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch (e) {
    throw new ConfigError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  const spec = validateConfig(json, { bundle, rlimitCeiling: hostRlimitCeiling(), systemdCgroup: opts.systemdCgroup });
  const rootPath = spec.root!.path;
  let isDir = false;
  try {
    isDir = statSync(rootPath).isDirectory();
  } catch {}
  if (!isDir) throw new ConfigError(`root.path: ${rootPath} is not a directory`);
  return { bundle, spec, raw };
}

/** Our own hard limits, unless we hold CAP_SYS_RESOURCE and may raise them. */
function hostRlimitCeiling(): (type: string) => bigint | null {
  const status = readFileSync("/proc/self/status", "utf8");
  const capEff = BigInt("0x" + (/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? "0"));
  if ((capEff >> CAP_SYS_RESOURCE) & 1n) return () => null;
  const hard = new Map<string, bigint>();
  // /proc/self/limits names rows in words; the order is the RLIMIT_* numbering.
  const names = ["CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"];
  const rows = readFileSync("/proc/self/limits", "utf8").split("\n").slice(1).filter(Boolean);
  rows.forEach((row, i) => {
    const cols = row.slice(26).trim().split(/\s+/);
    const h = cols[1];
    if (names[i] && h) hard.set(`RLIMIT_${names[i]}`, h === "unlimited" ? RLIM_INFINITY : BigInt(h));
  });
  return (type) => hard.get(type) ?? null;
}
