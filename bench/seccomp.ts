// Per-syscall cost of the default seccomp profile, measured inside a
// container: no filter vs zoo's compiled filter vs the filter runc (through
// libseccomp) loads for the very same profile. runc's filter is read back
// from a running runc container (PTRACE_SECCOMP_GET_FILTER); zoo's too, from
// a zoo-runtime container, to check it is what the compiler emitted. Then one
// zoo-runtime container without a filter runs bench/seccomp-loop.c, which
// measures each filter in a fresh child, round after round, so all of them
// see the same machine and load. The profile is zoo's default (Docker's) for
// Docker's 14 capabilities, as `zoo run` uses it.
//
// Run as root after `npm run build`: `bun bench/seccomp.ts`. Writes
// bench/results/seccomp.md. ITERATIONS (default 1000000) calls per sample,
// ROUNDS (default 7) samples per filter; the table shows medians.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CAPS } from "../src/engine/defaults.ts";
import { busyboxEntries, unpack } from "../src/image/busybox.ts";
import { defaultSpec } from "../src/oci/default-spec.ts";
import { compileSeccomp, defaultProfileFor } from "../src/seccomp/index.ts";

const repo = join(import.meta.dir, "..");
const iterations = Number(process.env.ITERATIONS ?? 1_000_000);
const rounds = Number(process.env.ROUNDS ?? 7);
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const runc = Bun.which("runc", { PATH });
const zooRuntime = join(repo, "dist/zoo-runtime");
const work = mkdtempSync("/var/tmp/zoo-bench-seccomp-");
let n = 0;

function sh(argv: string[]): string {
  const p = Bun.spawnSync(argv, { stdio: ["ignore", "pipe", "pipe"] });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${p.stderr}`);
  return p.stdout.toString();
}

try {
  const rootfs = join(work, "rootfs");
  mkdirSync(rootfs);
  const list = Bun.spawnSync(["/bin/busybox", "--list-full"]).stdout.toString().split("\n").filter(Boolean);
  unpack(busyboxEntries(readFileSync("/bin/busybox"), list), rootfs);
  sh(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", join(rootfs, "loop"), join(repo, "bench/seccomp-loop.c")]);

  const profile = defaultProfileFor(DEFAULT_CAPS);
  const compiled = compileSeccomp(profile);
  writeFileSync(join(rootfs, "zoo.bpf"), compiled.bytes);

  const bundle = (args: string[], withProfile: boolean) => {
    const dir = join(work, `bundle-${++n}`);
    mkdirSync(dir);
    const spec = defaultSpec({ rootless: false, uid: 0, gid: 0 });
    spec.root = { path: rootfs, readonly: false };
    spec.process!.args = args;
    spec.process!.capabilities = { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS };
    if (withProfile) spec.linux!.seccomp = profile as never;
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    return dir;
  };

  /** The filter a runtime really loaded for `profile`, read back from its container. */
  const loadedFilter = (bin: string, out: string) => {
    const id = `bench-seccomp-${process.pid}-${++n}`;
    const root = join(work, "state");
    // The container keeps the stdio it is given: not a pipe we would wait on.
    const d = Bun.spawnSync([bin, "--root", root, "run", "-d", "--bundle", bundle(["sleep", "60"], true), id], { stdio: ["ignore", "ignore", "ignore"] });
    if (d.exitCode !== 0) throw new Error(`${bin} run -d failed`);
    try {
      const pid = JSON.parse(sh([bin, "--root", root, "state", id])).pid;
      sh([join(rootfs, "loop"), "dump", String(pid), join(rootfs, out)]);
    } finally {
      Bun.spawnSync([bin, "--root", root, "delete", "--force", id]);
    }
    return readFileSync(join(rootfs, out));
  };
  const zooLoaded = loadedFilter(zooRuntime, "zoo-loaded.bpf");
  if (!zooLoaded.equals(Buffer.from(compiled.bytes))) throw new Error("zoo-runtime loaded a filter other than the compiled one");
  const files: [string, string][] = [["-", "no filter"], ["/zoo.bpf", "zoo (balanced tree)"]];
  let runcInsns = 0;
  if (runc) {
    runcInsns = loadedFilter(runc, "runc.bpf").length / 8;
    files.push(["/runc.bpf", "runc (libseccomp)"]);
  }

  const out = sh([zooRuntime, "--root", join(work, "state"), "run", "--bundle", bundle(["/loop", "compare", String(iterations), String(rounds), ...files.map((f) => f[0])], false), `bench-seccomp-${process.pid}-${++n}`]);
  const samples = new Map<string, { g: number[]; c: number[] }>();
  for (const line of out.trim().split("\n")) {
    const [file, g, c] = line.split(" ");
    const s = samples.get(file!) ?? { g: [], c: [] };
    s.g.push(Number(g));
    s.c.push(Number(c));
    samples.set(file!, s);
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const none = samples.get("-")!;
  const insns: Record<string, number> = { "-": 0, "/zoo.bpf": compiled.program.length, "/runc.bpf": runcInsns };
  const table = [
    "| filter (default profile, Docker's 14 caps) | BPF instructions | getppid ns/call | close(-1) ns/call | cost over no filter (getppid, close) |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...files.map(([file, label]) => {
      const s = samples.get(file)!;
      const [g, c] = [median(s.g), median(s.c)];
      const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
      const cost = file === "-" ? "" : `${signed(g - median(none.g))}, ${signed(c - median(none.c))}`;
      return `| ${label} | ${insns[file]} | ${g.toFixed(1)} | ${c.toFixed(1)} | ${cost} |`;
    }),
  ].join("\n");
  const note = `Inside a zoo-runtime container; ${iterations} calls per sample, median of ${rounds} rounds (each filter in a fresh process per round). ${runc ? "runc's filter was read back from a runc container given the same config.json." : "runc is not installed: no runc row."}`;
  mkdirSync(join(repo, "bench/results"), { recursive: true });
  writeFileSync(join(repo, "bench/results/seccomp.md"), `${table}\n\n${note}\n`);
  console.log(`${table}\n\n${note}\nresults: bench/results/seccomp.md`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
