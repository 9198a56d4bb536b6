import { readdirSync, readFileSync, type Dirent } from "node:fs";

/** Direct children of `pid` (every thread's children list). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {}
  return out;
}

export const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

/** The container's first process under a zookeeper/zoo process: zoo -> zoo-shim -> container. */
export async function containerPid(frontPid: number, timeoutMs = 90_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const shim of childrenOf(frontPid).filter((p) => comm(p) === "zoo-shim")) {
      // Until execve the child is named zoo-shim (just cloned) or zoo-init
      // (setting up): only another name means the command is running.
      const kid = childrenOf(shim).find((p) => !["zoo-init", "zoo-shim", ""].includes(comm(p)));
      if (kid) return kid;
    }
    await Bun.sleep(20);
  }
  throw new Error(`no container process appeared under pid ${frontPid}`);
}

/** The cgroup path of `pid` in the v1 hierarchy holding `controller`, or the v2 one ("" controller). */
export function cgroupOf(pid: number, controller: string): string | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n")) {
    const [, ctrls, path] = line.split(":");
    if (ctrls!.split(",").includes(controller)) return path;
  }
  return undefined;
}

/** Every cgroup directory under /sys/fs/cgroup whose name starts with `prefix`, in any hierarchy. */
export function cgroupDirsNamed(prefix: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(prefix)) out.push(`${d}/${e.name}`);
      if (depth < 12) walk(`${d}/${e.name}`, depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  return out;
}
