// User namespace id maps: which ranges (pure), and how to install them.
import { readFileSync, writeFileSync } from "node:fs";
import type { IdMapping } from "../oci/spec.ts";
import { ZooError } from "../util/errors.ts";

export interface SubidRange {
  start: number;
  count: number;
}

/** Ranges for `user` (by name or numeric uid) in /etc/subuid or /etc/subgid text. */
export function parseSubid(text: string, user: string, id: number): SubidRange[] {
  const out: SubidRange[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const [owner, start, count] = t.split(":");
    if (owner !== user && owner !== String(id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

/**
 * The zookeeper mapping: container root is the caller, container ids 1.. come
 * from the caller's subordinate range (so uid 1000 inside is subuid start + 999).
 */
export function rootlessMappings(hostId: number, ranges: SubidRange[]): IdMapping[] {
  const maps: IdMapping[] = [{ containerID: 0, hostID: hostId, size: 1 }];
  let next = 1;
  for (const r of ranges) {
    maps.push({ containerID: next, hostID: r.start, size: r.count });
    next += r.count;
  }
  return maps;
}

/** Rootful: ids 0-65535 map to themselves, so files keep their real owners. */
export const ROOTFUL_MAPPINGS: IdMapping[] = [{ containerID: 0, hostID: 0, size: 65536 }];

export const formatMap = (maps: IdMapping[]) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join("\n") + "\n";

export function userName(uid: number): string {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {}
  return String(uid);
}

export function readSubids(file: string, user: string, id: number): SubidRange[] {
  try {
    return parseSubid(readFileSync(file, "utf8"), user, id);
  } catch {
    return [];
  }
}

/** The maps for a container started by the calling (unprivileged) user. */
export function callerMappings(): { uid: IdMapping[]; gid: IdMapping[] } {
  const uid = process.geteuid!();
  const gid = process.getegid!();
  const user = userName(uid);
  return {
    uid: rootlessMappings(uid, readSubids("/etc/subuid", user, uid)),
    gid: rootlessMappings(gid, readSubids("/etc/subgid", user, uid)),
  };
}

const onlySelf = (maps: IdMapping[], self: number) =>
  maps.length === 1 && maps[0]!.hostID === self && maps[0]!.size === 1;

/**
 * Install the maps for `pid`. Root writes them itself; an unprivileged caller
 * can write only a map of its own id, so anything wider goes through the
 * setuid helpers newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
 * Returns whether setgroups(2) stays allowed in the namespace.
 */
export async function installMappings(pid: number, uidMaps: IdMapping[], gidMaps: IdMapping[]): Promise<boolean> {
  const euid = process.geteuid!();
  const egid = process.getegid!();
  if (euid === 0) {
    writeMap(pid, "uid_map", uidMaps);
    writeMap(pid, "gid_map", gidMaps);
    return true;
  }
  const jobs: Promise<void>[] = [];
  let setgroups = true;
  if (onlySelf(uidMaps, euid)) writeMap(pid, "uid_map", uidMaps);
  else jobs.push(helper("newuidmap", pid, uidMaps));
  if (onlySelf(gidMaps, egid)) {
    // The kernel only lets an unprivileged process map its own gid once
    // setgroups is denied, so a group cannot be dropped to gain access.
    writeFileSync(`/proc/${pid}/setgroups`, "deny");
    writeMap(pid, "gid_map", gidMaps);
    setgroups = false;
  } else jobs.push(helper("newgidmap", pid, gidMaps));
  await Promise.all(jobs);
  return setgroups;
}

function writeMap(pid: number, file: string, maps: IdMapping[]) {
  try {
    writeFileSync(`/proc/${pid}/${file}`, formatMap(maps));
  } catch (e) {
    throw new ZooError(`writing /proc/${pid}/${file}: ${(e as Error).message}`);
  }
}

async function helper(tool: string, pid: number, maps: IdMapping[]) {
  const args = [tool, String(pid), ...maps.flatMap((m) => [m.containerID, m.hostID, m.size].map(String))];
  let proc;
  try {
    proc = Bun.spawn(args, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  } catch {
    throw new ZooError(`${tool} not found: install it (Debian: apt-get install uidmap)`);
  }
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) {
    throw new ZooError(`${tool} failed: ${err.trim().split("\n").pop() ?? `exit ${code}`} (check /etc/sub${tool === "newuidmap" ? "uid" : "gid"})`);
  }
}
