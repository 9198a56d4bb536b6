// `zoo cp CONTAINER:SRC DEST` and `zoo cp SRC CONTAINER:DEST`, for running
// containers. The container's side is a tar run inside the container by
// `zoo exec` (so its paths, symlinks included, resolve in the container's
// root, never the host's), piped to or from the host's tar. Docker's naming
// rules: into an existing directory the source keeps its name; otherwise it
// takes the destination's name.
import { existsSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { UsageError, ZooError } from "../../util/errors.ts";
import { selfCommand } from "./start.ts";

export interface CpArgs {
  src: string;
  dest: string;
}

/** "name:/path" → container side; a path with a slash before any colon is a host path. */
export function splitRef(arg: string): { container?: string; path: string } {
  const colon = arg.indexOf(":");
  const slash = arg.indexOf("/");
  if (colon <= 0 || (slash >= 0 && slash < colon)) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || "/" };
}

const zooArgv = (...args: string[]) => [...selfCommand(), ...args];

async function pipe(from: string[], to: string[], what: string): Promise<void> {
  const a = Bun.spawn(from, { stdout: "pipe", stderr: "pipe", env: process.env });
  const b = Bun.spawn(to, { stdin: a.stdout, stdout: "ignore", stderr: "pipe", env: process.env });
  const [ea, eb] = await Promise.all([new Response(a.stderr).text(), new Response(b.stderr).text()]);
  const [ca, cb] = await Promise.all([a.exited, b.exited]);
  if (ca !== 0 || cb !== 0) {
    const why = (ea || eb).trim().split("\n").pop()?.replace(/^(zoo|tar): /, "") ?? `exit ${ca || cb}`;
    throw new ZooError(`cp: ${what}: ${why}`, 1);
  }
}

async function inContainer(container: string, ...cmd: string[]): Promise<boolean> {
  const p = Bun.spawn(zooArgv("exec", container, ...cmd), { stdout: "ignore", stderr: "ignore", env: process.env });
  return (await p.exited) === 0;
}

export async function cp(a: CpArgs): Promise<number> {
  const s = splitRef(a.src);
  const d = splitRef(a.dest);
  if (!!s.container === !!d.container) throw new UsageError("cp: exactly one of SRC and DEST must be CONTAINER:PATH (zoo cp web:/etc/hosts ./hosts)");
  if (s.container) {
    const src = s.path.replace(/\/+$/, "") || "/";
    if (!(await inContainer(s.container, "test", "-e", src))) throw new ZooError(`cp: could not find the file ${src} in container ${s.container}`, 1);
    const into = existsSync(d.path) && statSync(d.path).isDirectory();
    const destDir = into ? d.path : dirname(d.path);
    if (!existsSync(destDir)) throw new ZooError(`cp: ${destDir}: no such directory`, 1);
    const name = basename(src);
    const rename = into ? [] : [`--transform=s,^${escape(name)},${escape(basename(d.path))},`];
    await pipe(zooArgv("exec", s.container, "tar", "-c", "-C", dirname(src), name), ["tar", "-x", "--no-same-owner", "-C", destDir, ...rename], `${a.src} → ${a.dest}`);
    return 0;
  }
  const src = s.path.replace(/\/+$/, "") || "/";
  if (!existsSync(src)) throw new ZooError(`cp: could not find the file ${src} on the host`, 1);
  const dest = d.path.replace(/\/+$/, "") || "/";
  const into = await inContainer(d.container!, "test", "-d", dest);
  const destDir = into ? dest : dirname(dest);
  if (!into && !(await inContainer(d.container!, "test", "-d", destDir))) throw new ZooError(`cp: ${destDir}: no such directory in container ${d.container}`, 1);
  const name = basename(src);
  const rename = into ? [] : [`--transform=s,^${escape(name)},${escape(basename(dest))},`];
  await pipe(["tar", "-c", "-C", dirname(src), ...rename, name], zooArgv("exec", "-i", d.container!, "tar", "-x", "-C", destDir), `${a.src} → ${a.dest}`);
  return 0;
}

const escape = (s: string) => s.replace(/[\\,.*[\]^$]/g, (c) => `\\${c}`);
