// `zoo system prune`, `zoo system df`, `zoo info`: the store as a whole.
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { arch, cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { detectHierarchies } from "../../cgroups/detect.ts";
import { Store } from "../../image/store.ts";
import { UsageError } from "../../util/errors.ts";
import { VERSION } from "../../version.ts";
import { repair } from "./finalize.ts";
import { table } from "./format.ts";
import { removeContainer } from "./remove.ts";
import { containers } from "./show.ts";
import { humanSize } from "./stats.ts";

/** Bytes of the files under `p` (hard links counted once). */
export function diskUsage(p: string, seen = new Set<string>()): number {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 0;
  }
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  try {
    for (const e of readdirSync(p)) n += diskUsage(join(p, e), seen);
  } catch {}
  return n;
}

const live = (s: string) => s === "running" || s === "paused" || s === "restarting";

export async function systemPrune(argv: string[]): Promise<number> {
  for (const a of argv) if (!["-f", "--force", "-a", "--all"].includes(a)) throw new UsageError(`system prune: unknown flag ${a}`);
  const cs = containers();
  await repair(cs);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const { config, state } of cs.all()) {
    if (live(state.status) || cs.monitored(config.id)) continue;
    reclaimed += diskUsage(cs.path(config.id));
    await removeContainer(cs, config.id);
    deleted.push(config.id);
  }
  if (deleted.length) process.stdout.write(`Deleted Containers:\n${deleted.join("\n")}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

export async function systemDf(): Promise<number> {
  const cs = containers();
  await repair(cs);
  const store = new Store(cs.root);
  const all = cs.all();
  const images = Object.keys(store.readIndex());
  const used = new Set(all.map((c) => c.config.image.includes(":") ? c.config.image : `${c.config.image}:latest`));
  const layersSize = existsSync(join(cs.root, "layers")) ? diskUsage(join(cs.root, "layers")) : 0;
  const sizes = all.map((c) => ({ live: live(c.state.status), size: diskUsage(join(cs.path(c.config.id), "upper")) }));
  const ctrSize = sizes.reduce((n, x) => n + x.size, 0);
  const reclaim = sizes.filter((x) => !x.live).reduce((n, x) => n + x.size, 0);
  const activeImages = images.filter((i) => used.has(i)).length;
  const pct = (a: number, b: number) => (b ? ` (${Math.round((a / b) * 100)}%)` : "");
  process.stdout.write(
    table([
      ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
      ["Images", String(images.length), String(activeImages), humanSize(layersSize), `${humanSize(activeImages ? 0 : layersSize)}${pct(activeImages ? 0 : layersSize, layersSize)}`],
      ["Containers", String(all.length), String(sizes.filter((x) => x.live).length), humanSize(ctrSize), `${humanSize(reclaim)}${pct(reclaim, ctrSize)}`],
      ["Local Volumes", "0", "0", "0B", "0B"],
      ["Build Cache", "0", "0", "0B", "0B"],
    ]),
  );
  return 0;
}

export async function info(): Promise<number> {
  const cs = containers();
  await repair(cs);
  const all = cs.all();
  const count = (f: (s: string) => boolean) => all.filter((c) => f(c.state.status)).length;
  const h = detectHierarchies();
  const v2Only = h.every((x) => x.version === 2);
  const images = Object.keys(new Store(cs.root).readIndex()).length;
  process.stdout.write(
    [
      "Client:",
      ` Version:    ${VERSION}`,
      " Context:    default (daemonless)",
      "",
      "Server:",
      ` Containers: ${all.length}`,
      `  Running: ${count((s) => s === "running" || s === "restarting")}`,
      `  Paused: ${count((s) => s === "paused")}`,
      `  Stopped: ${count((s) => s === "exited" || s === "created" || s === "dead")}`,
      ` Images: ${images}`,
      ` Server Version: ${VERSION}`,
      " Storage Driver: overlay",
      " Logging Driver: k8s-file (written by zoo-shim)",
      " Cgroup Driver: cgroupfs",
      ` Cgroup Version: ${v2Only ? 2 : 1}${v2Only ? "" : " (hybrid)"}`,
      " Runtimes: zoo-runtime",
      " Default Runtime: zoo-runtime",
      ` Security Options:\n  seccomp\n   Profile: builtin${process.geteuid!() !== 0 ? "\n  rootless" : ""}`,
      ` Kernel Version: ${release()}`,
      " Operating System: linux",
      ` Architecture: ${arch() === "x64" ? "x86_64" : arch()}`,
      ` CPUs: ${cpus().length}`,
      ` Total Memory: ${(totalmem() / 1024 ** 3).toFixed(2)}GiB`,
      ` Docker Root Dir: ${cs.root}`,
      "",
    ].join("\n"),
  );
  return 0;
}
