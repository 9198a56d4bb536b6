// bench/results/SUMMARY.md: each target of issue 9 against what the bench
// scripts measured, read from hyperfine's --export-json medians (and
// memory.json), never copied by hand. Both sides of a ratio come from the
// same hyperfine run (or the same memory measurement). Run by bench/all.sh;
// on its own: bun bench/summary.ts [NOTE]
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";

const dir = join(import.meta.dir, "results");
const note = process.argv[2] ?? "";

interface Hyperfine {
  results: { command: string; median: number }[];
}

function load(file: string): unknown {
  const p = join(dir, file);
  return existsSync(p) ? JSON.parse(readFileSync(p, "utf8")) : undefined;
}

/** The median in ms of the command named `name` in hyperfine's JSON `file`. */
function median(file: string, name: string): number | undefined {
  const h = load(file) as Hyperfine | undefined;
  const r = h?.results.find((x) => x.command === name);
  return r ? r.median * 1000 : undefined;
}

const mid = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mem = load("memory.json") as { detached: Record<string, { rss_kb: number[]; pss_kb: number[] }> } | undefined;
const monitor = (m: string, k: "rss_kb" | "pss_kb") => mid(mem?.detached[m]?.[k] ?? []);

interface Row {
  target: string;
  source: string;
  zoo?: number;
  ref?: number;
  refName: string;
  limit: number; // zoo / ref must be ≤ limit (strict: <)
  strict?: boolean;
  unit: "ms" | "kB";
}

const b2b = "runtime-back-to-back.json";
const spaced = "runtime-spaced.json";
const spacedFloor = median(spaced, "C floor + CLONE_INTO_CGROUP") !== undefined ? "C floor + CLONE_INTO_CGROUP" : "C floor (clone3 + exec)";
const rows: Row[] = [
  { target: "`zoo-runtime run` ≤ crun", source: b2b, zoo: median(b2b, "zoo-runtime run"), ref: median(b2b, "crun run"), refName: "crun run, back to back", limit: 1, unit: "ms" },
  { target: "`zoo-runtime run` ≤ crun", source: spaced, zoo: median(spaced, "zoo-runtime run"), ref: median(spaced, "crun run"), refName: "crun run, 250 ms apart", limit: 1, unit: "ms" },
  { target: "`zoo-runtime run` ≤ 0.3 × runc", source: b2b, zoo: median(b2b, "zoo-runtime run"), ref: median(b2b, "runc run"), refName: "runc run, back to back", limit: 0.3, unit: "ms" },
  { target: "`zoo-runtime run` ≤ 0.3 × runc", source: spaced, zoo: median(spaced, "zoo-runtime run"), ref: median(spaced, "runc run"), refName: "runc run, 250 ms apart", limit: 0.3, unit: "ms" },
  { target: "`zoo-runtime run` < 2 × the C floor", source: b2b, zoo: median(b2b, "zoo-runtime run"), ref: median(b2b, "C floor (clone3 + exec)"), refName: "C floor, back to back", limit: 2, strict: true, unit: "ms" },
  { target: "`zoo-runtime run` < 2 × the C floor", source: spaced, zoo: median(spaced, "zoo-runtime run"), ref: median(spaced, spacedFloor), refName: `${spacedFloor}, 250 ms apart`, limit: 2, strict: true, unit: "ms" },
  { target: "`zoo run --rm busybox true` ≤ 0.1 × podman, network none", source: "engine.json", zoo: median("engine.json", "zoo run --network none"), ref: median("engine.json", "podman (crun) --network none"), refName: "podman run (crun)", limit: 0.1, unit: "ms" },
  { target: "`zoo run --rm busybox true` ≤ 0.1 × podman, network none", source: "engine.json", zoo: median("engine.json", "zoo run --network none"), ref: median("engine.json", "podman (runc) --network none"), refName: "podman run (runc)", limit: 0.1, unit: "ms" },
  { target: "`zoo run --rm busybox true` ≤ 0.1 × podman, bridge", source: "engine.json", zoo: median("engine.json", "zoo run (bridge)"), ref: median("engine.json", "podman (crun) (bridge)"), refName: "podman run (crun), its bridge", limit: 0.1, unit: "ms" },
  { target: "zoo-shim resident memory ≤ 0.5 × conmon", source: "memory.json", zoo: monitor("zoo-shim", "rss_kb"), ref: monitor("conmon", "rss_kb"), refName: "conmon VmRSS", limit: 0.5, unit: "kB" },
  { target: "zoo-shim resident memory ≤ 0.5 × conmon, by PSS", source: "memory.json", zoo: monitor("zoo-shim", "pss_kb"), ref: monitor("conmon", "pss_kb"), refName: "conmon PSS (shared pages divided among the N conmons)", limit: 0.5, unit: "kB" },
];

const fmt = (v: number | undefined, unit: string) => (v === undefined ? "—" : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ${unit}`);
const out: string[] = [
  "# Issue 9's targets",
  "",
  `Written ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC by \`bench/summary.ts\` from the medians in bench/results/*.json (each ratio from one hyperfine run or one memory measurement); load average when written ${loadavg().map((x) => x.toFixed(2)).join(", ")}.${note ? ` ${note}` : ""}`,
  "",
  "| target | zoo (median) | compared with | its median | ratio | target | met |",
  "| --- | ---: | --- | ---: | ---: | ---: | :---: |",
];
let met = 0;
let measured = 0;
for (const r of rows) {
  const ok = r.zoo !== undefined && r.ref !== undefined;
  const ratio = ok ? r.zoo! / r.ref! : undefined;
  const pass = ratio !== undefined && (r.strict ? ratio < r.limit : ratio <= r.limit);
  if (ok) measured++;
  if (pass) met++;
  out.push(
    `| ${r.target} | ${fmt(r.zoo, r.unit)} | ${r.refName} | ${fmt(r.ref, r.unit)} | ${ratio === undefined ? "—" : ratio.toFixed(2)} | ${r.strict ? "<" : "≤"} ${r.limit} | ${!ok ? "not measured" : pass ? "met" : "not met"} |`,
  );
}
out.push("", `${met} of ${rows.length} met (${measured} measured).`, "");

// Other medians, for reference (no target in the issue).
const other: [string, string, string][] = [
  ["runtime-cycle.json", "zoo-runtime", "create/start/wait/delete cycle: zoo-runtime"],
  ["runtime-cycle.json", "crun", "… crun"],
  ["runtime-cycle.json", "runc", "… runc"],
  [b2b, "bwrap (same namespaces, /proc, /dev)", "bwrap, back to back"],
  [b2b, "zoo-runtime run, ZOO_RUN_CACHE=off (the Bun path)", "`zoo-runtime run` without the run cache (Bun), back to back"],
  [b2b, "zoo --version (start-up floor)", "`zoo-bun --version` (Bun's start-up)"],
  [b2b, "zoo --version through the front door", "`zoo --version` (the front door, then Bun)"],
  ["engine.json", "zoo run --network none, ZOO_RUN_CACHE=off (the Bun path)", "`zoo run --rm --network none busybox true` without the run cache (Bun)"],
  ["engine.json", "zoo run (bridge), ZOO_RUN_CACHE=off (the Bun path)", "`zoo run --rm busybox true` on the bridge without the run cache (Bun)"],
  ["images-pull.json", "zoo pull", "zoo pull (download + unpack)"],
  ["images-pull.json", "podman pull", "podman pull"],
  ["images-pull.json", "skopeo copy to oci: (no unpack)", "skopeo copy to an OCI layout (no unpack)"],
  ["images-overlay.json", "kernel overlayfs (zoo's mount)", "overlay mount+umount, kernel (3 processes)"],
  ["images-overlay.json", "fuse-overlayfs", "… fuse-overlayfs"],
  ["images-overlay.json", "podman mount + umount", "… podman mount + umount"],
];
out.push("Other medians from the same files:", "", "| what | median | file (written) |", "| --- | ---: | --- |");
for (const [file, name, label] of other) {
  const m = median(file, name);
  if (m !== undefined) out.push(`| ${label} | ${fmt(m, "ms")} | ${file} (${statSync(join(dir, file)).mtime.toISOString().slice(0, 16).replace("T", " ")}) |`);
}
const fg = (load("memory.json") as { foreground?: Record<string, { rss_kb: number; pss_kb: number }> } | undefined)?.foreground ?? {};
for (const [tool, v] of Object.entries(fg)) out.push(`| memory held by \`${tool}\` during a foreground run (RSS / PSS) | ${(v.rss_kb / 1024).toFixed(1)} / ${(v.pss_kb / 1024).toFixed(1)} MB | memory.json |`);
out.push("", "Details: runtime.md, engine.md, memory.md, images.md, concurrent.md, monitor.md, net.md, seccomp.md.", "");
writeFileSync(join(dir, "SUMMARY.md"), out.join("\n"));
console.log(out.join("\n"));
