// From an image and `zoo run` flags to the parts of the container's OCI
// config that come from the image: command (Entrypoint/Cmd/--entrypoint),
// user (resolved in the image's /etc/passwd and /etc/group), HOME, and the
// mounts the user asked for (-v, --tmpfs, --read-only).
import { existsSync } from "node:fs";
import { isAbsolute, normalize } from "node:path";
import type { Mount, Spec } from "../oci/spec.ts";
import { UsageError, ZooError } from "../util/errors.ts";
import { checkMountTargets, lookup, readImageFile } from "./rootfs.ts";
import type { ImageConfig } from "./store.ts";

export interface ImageRunFlags {
  image: string;
  entrypoint?: string;
  user?: string;
  volumes?: string[];
  tmpfs?: string[];
  readOnly?: boolean;
  env: string[];
}

/** The image's config with --entrypoint applied (which, as in Docker, also drops the image's Cmd). */
export function effectiveConfig(c: ImageConfig["config"] = {}, f: ImageRunFlags): NonNullable<ImageConfig["config"]> {
  if (f.entrypoint === undefined) return c;
  return { ...c, Entrypoint: f.entrypoint === "" ? [] : [f.entrypoint], Cmd: [] };
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function parsePasswd(text: string | null): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

export function parseGroup(text: string | null): { name: string; gid: number; members: string[] }[] {
  const out = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) });
  }
  return out;
}

const ID_MAX = 2 ** 32 - 2;

/** USER[:GROUP] by name or number, as Docker resolves it. */
export function resolveUser(spec: string, passwdText: string | null, groupText: string | null): ResolvedUser {
  const [u, g, ...rest] = spec.split(":");
  if (rest.length || u === "" || g === "") throw new UsageError(`user "${spec}": give USER or USER:GROUP (names or numbers)`);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const numeric = /^\d+$/.test(u!);
  const entry = numeric ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
  if (!entry && !numeric) throw new ZooError(`unable to find user ${u}: no matching entries in the image's /etc/passwd`);
  const uid = numeric ? Number(u) : entry!.uid;
  if (uid > ID_MAX) throw new UsageError(`user "${spec}": uid ${u} is out of range`);
  let gid = entry?.gid ?? 0;
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const grp = groups.find((x) => x.name === g);
      if (!grp) throw new ZooError(`unable to find group ${g}: no matching entries in the image's /etc/group`);
      gid = grp.gid;
    }
    if (gid > ID_MAX) throw new UsageError(`user "${spec}": gid ${g} is out of range`);
  }
  // Supplementary groups: those listing the user, unless a group was given explicitly.
  const additionalGids = entry && g === undefined ? groups.filter((x) => x.members.includes(entry.name) && x.gid !== gid).map((x) => x.gid) : [];
  return { uid, gid, additionalGids: [...new Set(additionalGids)], home: entry?.home };
}

/** `-v SRC:DST[:ro|rw]`: a bind mount of an existing host path. */
export function parseVolume(v: string): Mount {
  const parts = v.split(":");
  if (parts.length < 2 || parts.length > 3) throw new UsageError(`-v "${v}": use HOST_PATH:CONTAINER_PATH[:ro]`);
  const [src, dst, mode = "rw"] = parts as [string, string, string?];
  if (!isAbsolute(src)) throw new UsageError(`-v "${v}": named volumes are not supported; give an absolute host path`);
  if (!isAbsolute(dst)) throw new UsageError(`-v "${v}": the container path must be absolute`);
  if (normalize(dst) === "/") throw new UsageError(`-v "${v}": cannot mount over the container's /`);
  const opts = mode.split(",");
  if (!opts.every((o) => ["ro", "rw", "z", "Z"].includes(o))) throw new UsageError(`-v "${v}": options are ro or rw`);
  if (!existsSync(src)) throw new UsageError(`-v "${v}": ${src} does not exist on the host`);
  return { destination: normalize(dst), type: "bind", source: src, options: ["rbind", opts.includes("ro") ? "ro" : "rw", "nosuid", "nodev"] };
}

/** `--tmpfs DST[:OPTIONS]`, Docker's defaults (noexec, nosuid, nodev) before the user's options. */
export function parseTmpfs(t: string): Mount {
  const i = t.indexOf(":");
  const dst = i < 0 ? t : t.slice(0, i);
  const opts = i < 0 ? [] : t.slice(i + 1).split(",").filter(Boolean);
  if (!isAbsolute(dst) || normalize(dst) === "/") throw new UsageError(`--tmpfs "${t}": give an absolute path other than /, optionally :size=64m,mode=1777`);
  return { destination: normalize(dst), type: "tmpfs", source: "tmpfs", options: ["rw", "noexec", "nosuid", "nodev", ...opts] };
}

/** Applies -u, -v, --tmpfs and --read-only to a spec built from the image config. */
export function applyImageRunFlags(spec: Spec, f: ImageRunFlags, imageUser: string | undefined, lower: string[]): void {
  const proc = spec.process!;
  const userSpec = f.user ?? (imageUser || undefined);
  if (userSpec !== undefined) {
    const u = resolveUser(userSpec, readImageFile(lower, "/etc/passwd"), readImageFile(lower, "/etc/group"));
    proc.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    const explicitHome = f.env.some((e) => e.startsWith("HOME="));
    if (!explicitHome) {
      const home = u.home ?? (u.uid === 0 ? "/root" : "/");
      proc.env = (proc.env ?? []).map((e) => (e.startsWith("HOME=") && e === "HOME=/root" ? `HOME=${home}` : e));
    }
  }
  const user = [...(f.volumes ?? []).map(parseVolume), ...(f.tmpfs ?? []).map(parseTmpfs)];
  const seen = new Set<string>();
  for (const m of user) {
    if (seen.has(m.destination)) throw new UsageError(`${m.destination} is mounted twice (-v/--tmpfs)`);
    seen.add(m.destination);
  }
  // User mounts replace a default one at the same place (Docker lets -v /dev/shm win).
  spec.mounts = [...(spec.mounts ?? []).filter((m) => !seen.has(m.destination)), ...user];
  if (f.readOnly) spec.root = { ...(spec.root ?? { path: "/" }), readonly: true };
  // Targets under a fresh tmpfs (/dev/pts) are not the image's.
  const tmpfs = spec.mounts.filter((m) => m.type === "tmpfs").map((m) => m.destination);
  const fromImage = spec.mounts.map((m) => m.destination).filter((d) => !tmpfs.some((t) => d !== t && d.startsWith(t + "/")));
  checkMountTargets(lower, fromImage);
  const cwd = lookup(lower, proc.cwd);
  if (cwd && cwd.kind !== "dir" && cwd.kind !== "symlink") throw new ZooError(`working directory ${proc.cwd} is a file in the image`);
}
