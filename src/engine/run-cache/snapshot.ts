// What `zoo run` wrote into a container's fresh directory before the
// container ran (upper and work dirs, layers.json, hosts, resolv.conf), read
// back as host ops: whatever the code that makes them does, the entry says
// exactly what was there.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type Made = { kind: "dir"; path: string; mode: number } | { kind: "file"; path: string; mode: number; content: string };

/** `dir` and everything below it, parents before children; throws on what an entry cannot make (a symlink, a device). */
export function snapshotTree(dir: string): Made[] {
  const out: Made[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      out.push({ kind: "dir", path: p, mode });
      for (const name of readdirSync(p).sort()) walk(join(p, name));
    } else if (st.isFile()) {
      const bytes = readFileSync(p);
      const content = bytes.toString("utf8");
      if (!Buffer.from(content, "utf8").equals(bytes)) throw new Error(`${p} is not UTF-8`);
      out.push({ kind: "file", path: p, mode, content });
    } else {
      throw new Error(`${p} is neither a file nor a directory`);
    }
  };
  walk(dir);
  return out;
}
