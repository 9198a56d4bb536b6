// The run cache's TypeScript side on a real run: dist/zoo-runtime writes an
// entry after an eligible foreground `run`, and the entry says what that run
// did (checked against strace of the same run), with a plan template that
// gives back the plan of any run of the same config.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupDir, detectHierarchies } from "../../../src/cgroups/index.ts";
import { loadBundle } from "../../../src/oci/load.ts";
import { encodePlan } from "../../../src/plan/encode.ts";
import { toRecords } from "../../../src/plan/ops.ts";
import { Guard, Phase, Site } from "../../../src/plan/replay-ids.ts";
import { buildPlan } from "../../../src/runtime/plan-builder.ts";
import type { Entry, HostOp } from "../../../src/runtime/oci/run-cache/entry.ts";
import { entryFile, exeIdentity, keyBytes } from "../../../src/runtime/oci/run-cache/key.ts";
import { fillMarkers, fillPlan, type MarkValues } from "../../../src/runtime/oci/run-cache/template.ts";
import { DIST, IS_ROOT, run } from "../../helpers/env.ts";
import { decodeEntry, runtimeRunContext } from "../../helpers/run-cache.ts";
import { RUNTIME, useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

const STRACE = Bun.which("strace", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" });

describe.skipIf(!IS_ROOT)("zoo-runtime run cache entries (root)", () => {
  const s = useRuntimeSuite();
  const written = new Set<string>();

  /** Where the entry of `zoo-runtime --root <root> <args...> <id>` run from / with no variables set goes, and its key. */
  function entryOf(args: string[], id: string): { file: string; key: Uint8Array } {
    const key = keyBytes({ exe: exeIdentity(join(DIST, "zoo-bun"))!, euid: 0, cwd: "/", env: {}, idLength: id.length, args: ["--root", s.root, ...args] });
    const file = entryFile(key);
    written.add(file);
    return { file, key };
  }

  afterAll(() => {
    for (const f of written) rmSync(f, { force: true });
    for (const f of written) expect(existsSync(f)).toBe(false);
  });

  /** A config with a v1 cgroup mount (ID sites in the plan) and bind mounts of a file and a directory (stat guards). */
  function cachedBundle(args: string[]): string {
    const src = join(s.work, `src-${++s.n}`);
    mkdirSync(join(src, "dir"), { recursive: true });
    writeFileSync(join(src, "file"), "hello\n");
    return s.bundle(args, (spec) => {
      spec.mounts!.push({ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid", "noexec", "nodev"] });
      spec.mounts!.push({ destination: "/etc/hello", type: "bind", source: join(src, "file"), options: ["rbind", "ro"] });
      spec.mounts!.push({ destination: "/mnt", type: "bind", source: join(src, "dir"), options: ["rbind", "ro"] });
    });
  }

  /** Runs zoo-runtime under strace when there is one; returns the result and the main process's effects. */
  async function traced(args: string[], env: Record<string, string> = {}) {
    if (!STRACE) return { r: await s.rt(args, { env }), effects: null };
    const log = join(s.work, `strace-${++s.n}`);
    const calls = "mkdir,mknodat,openat,write,close,flock,rename,unlink,unlinkat,rmdir,bpf";
    const r = await run([STRACE, "-f", "-qq", "-s", "65536", "-o", log, "-e", `trace=${calls}`, RUNTIME, "--root", s.root, ...args], { env });
    return { r, effects: effectsOf(readFileSync(log, "utf8")) };
  }

  test("a foreground run writes an entry whose key, guards, plan and host ops are this run's", async () => {
    const id = "rc1";
    const bundle = cachedBundle(["/bin/true"]);
    const pidFile = join(s.work, "rc1.pid");
    const args = ["run", "-b", bundle, "--pid-file", pidFile];
    const { file, key } = entryOf(args, id);
    rmSync(file, { force: true });
    const { r, effects } = await traced([...args, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    const e = decodeEntry(readFileSync(file));
    expect([...e.key]).toEqual([...key]);

    // Guards: the config as it is on disk, our cgroup and uid map, the rootfs and both bind sources.
    const { spec } = loadBundle(bundle);
    const guards = e.guards.map((g) => (g.kind === "file" ? ["file", g.path, Buffer.from(g.content).toString()] : ["stat", g.path, g.is]));
    expect(guards).toEqual([
      ["file", join(bundle, "config.json"), readFileSync(join(bundle, "config.json"), "utf8")],
      ["file", "/proc/self/cgroup", readFileSync("/proc/self/cgroup", "utf8")],
      ["file", "/proc/self/uid_map", readFileSync("/proc/self/uid_map", "utf8")],
      ["stat", s.rootfs, Guard.DIR],
      ["stat", spec.mounts!.at(-2)!.source!, Guard.NOT_DIR],
      ["stat", spec.mounts!.at(-1)!.source!, Guard.DIR],
    ]);
    expect(e.shim).toBe(join(DIST, "zoo-shim"));

    // The plan: the template filled with an ID is the plan built for that run;
    // the rootfs is bound onto itself, so there is no token to fill in.
    expect(e.sites.some((x) => x.kind === Site.ID)).toBe(true);
    expect(e.sites.some((x) => x.kind === Site.TOKEN)).toBe(false);
    for (const oid of [id, "rc9"]) {
      expect([...fillPlan(e.plan, e.sites, oid, "")]).toEqual([...planFor(bundle, oid)]);
    }

    // The CLEANUP list: the cgroup directories only; never the rootfs.
    const values = valuesOf(effects, id);
    expect(e.cleanup.map((c) => fillMarkers(c, values))).toEqual(cgroupDirs(id));
    checkShape(e, s.root);
    // What the run did, in order, is what the entry says.
    if (effects) expect(effectsOfEntry(e, values)).toEqual(effects);
    expect(readFileSync(pidFile, "utf8")).toBe(values.P!);
  });

  test("the entry is rewritten when config.json changes: same file, new guard", async () => {
    const id = "rc2";
    const bundle = cachedBundle(["/bin/true"]);
    const args = ["run", "-b", bundle];
    const { file } = entryOf(args, id);
    expect((await s.rt([...args, id])).code).toBe(0);
    const first = decodeEntry(readFileSync(file));
    const config = join(bundle, "config.json");
    const spec = JSON.parse(readFileSync(config, "utf8"));
    spec.process.args = ["/bin/sh", "-c", "exit 3"];
    writeFileSync(config, JSON.stringify(spec));
    expect((await s.rt([...args, id])).code).toBe(3);
    const second = decodeEntry(readFileSync(file));
    const guard = (x: Entry) => x.guards.find((g) => g.kind === "file" && g.path === config)!;
    expect(Buffer.from((guard(first) as { content: Uint8Array }).content).toString()).not.toContain("exit 3");
    expect(Buffer.from((guard(second) as { content: Uint8Array }).content).toString()).toBe(readFileSync(config, "utf8"));
    expect(Buffer.from(second.plan).includes("exit 3")).toBe(true);
  });

  test("ineligible runs write no entry: detached, with hooks, with ZOO_RUN_CACHE=off", async () => {
    const plain = cachedBundle(["/bin/true"]);
    const off = entryOf(["run", "-b", plain], "rc3");
    expect((await s.rt(["run", "-b", plain, "rc3"], { env: { ZOO_RUN_CACHE: "off" } })).code).toBe(0);
    expect(existsSync(off.file)).toBe(false);

    const hooked = s.bundle(["/bin/true"], (spec) => {
      spec.hooks = { poststop: [{ path: "/bin/true" }] };
    });
    const hooks = entryOf(["run", "-b", hooked], "rc4");
    expect((await s.rt(["run", "-b", hooked, "rc4"])).code).toBe(0);
    expect(existsSync(hooks.file)).toBe(false);

    const detach = entryOf(["run", "-d", "-b", plain], "rc5");
    expect((await s.detached(["run", "-d", "-b", plain, "rc5"])).code).toBe(0);
    expect((await s.rt(["delete", "--force", "rc5"])).code).toBe(0);
    expect(existsSync(detach.file)).toBe(false);
  });

  /** The cgroup directories this host gives container `id` (zoo-<id> below our own cgroup in each hierarchy). */
  function cgroupDirs(id: string): string[] {
    return cgroupPaths(id).map((p) => p.dir);
  }

  function cgroupPaths(id: string) {
    return detectHierarchies().flatMap((h) => {
      const d = cgroupDir(h, h.ownPath);
      return d === undefined ? [] : [{ version: h.version, controllers: h.controllers, mountPoint: h.mountPoint, dir: `${d}/zoo-${id}` }];
    });
  }

  /** The plan launch.ts builds for a `run` of `bundle` as `id`. */
  function planFor(bundle: string, id: string): Uint8Array {
    const { spec } = loadBundle(bundle);
    const v2 = cgroupPaths(id).some((p) => p.version === 2);
    const steps = buildPlan(
      spec,
      runtimeRunContext({
        rootMount: spec.root!.path,
        cgroupFd: v2 ? 6 : null,
        cgroupPaths: cgroupPaths(id),
        exitOnStart: false,
        becomeNsRoot: false,
        sourceIsFile: (p) => existsSync(p) && !statSync(p).isDirectory(),
      }),
    );
    return encodePlan(toRecords(steps));
  }
});

/** The shape every entry has on any host, phase by phase. */
function checkShape(e: Entry, root: string): void {
  const by = (p: number) => e.ops.filter((o) => o.phase === p);
  const at = (o: HostOp) => ("path" in o ? o.path : "fifo" in o ? o.fifo : "dir" in o ? o.dir : "file" in o ? o.file : "").replaceAll("\x01", "%");
  const prepare = by(Phase.PREPARE);
  expect(prepare.slice(0, 5).map((o) => [o.op, at(o)])).toEqual([
    ["mkdir", root],
    ["mkdir", `${root}/%I`],
    ["lock", `${root}/%I`],
    ["mkfifo", `${root}/%I/exec.fifo`],
    ["open", `${root}/%I/exec.fifo`],
  ]);
  expect(prepare.filter((o) => o.op === "mkdir").slice(2).every((o) => at(o).endsWith(`/zoo-%I`))).toBe(true);
  expect(prepare.filter((o) => o.op === "open").map((o) => o.op === "open" && o.slot)).toEqual(prepare.some((o) => o.op === "open" && at(o).includes("/sys/fs/cgroup/")) ? [5, 6] : [5]);
  expect(by(Phase.SPAWNED)).toEqual([]);
  // Each v1 hierarchy gets the pid; the v2 cgroup got the child by CLONE_INTO_CGROUP.
  const child = by(Phase.CHILD);
  expect(child.every((o) => o.op === "write" && at(o).endsWith("/zoo-%I/cgroup.procs") && o.content === "\x01P")).toBe(true);
  const created = by(Phase.CREATED).map((o) => [o.op, at(o)]);
  expect(created.filter(([op]) => op === "replace").map(([, p]) => p)[0]).toBe(`${root}/%I/state.json`);
  expect(created.slice(-2)).toEqual([["start", `${root}/%I/exec.fifo`], ["unlock", `${root}/%I`]]);
  expect(created.some(([op, p]) => (op === "write" && String(p).includes("/devices.")) || op === "device-bpf")).toBe(true);
  const teardown = by(Phase.TEARDOWN).map((o) => [o.op, at(o)]);
  expect(teardown.shift()).toEqual(["lock", `${root}/%I`]);
  expect(teardown.slice(-1)).toEqual([["rmtree", `${root}/%I`]]);
  expect(teardown.slice(0, -1).every(([op, p]) => op === "rmdir" && String(p).endsWith("/zoo-%I"))).toBe(true);
}

/** The run's values: the pid from the cgroup.procs writes (or the pid file); no token (nothing uses one). */
function valuesOf(effects: string[][] | null, id: string): MarkValues {
  const token = "AAAAAAAA";
  const pid = effects?.find(([op, p]) => op === "write" && p!.endsWith("/cgroup.procs"))?.[2] ?? "0";
  return { I: id, T: token, P: pid, S: "0", p: "0", s: "0", C: "" };
}

/** The entry's ops as effects strace would show, filled with this run's values. */
function effectsOfEntry(e: Entry, v: MarkValues): string[][] {
  const f = (s: string) => fillMarkers(s, v);
  // strace shows when a lock is taken, not when its fd is closed: the first LOCK of a directory only.
  const locked = new Set<string>();
  const seen = e.ops.filter((o) => o.op !== "unlock" && !(o.op === "lock" && locked.has(o.path)) && (o.op !== "lock" || locked.add(o.path)));
  return seen.map((o) => {
    switch (o.op) {
      case "write":
        return ["write", f(o.path), f(o.content)];
      case "start":
        return ["start", f(o.fifo)];
      case "device-bpf":
        return ["bpf", f(o.dir)];
      case "mkdir":
      case "mkfifo":
      case "replace":
        return [o.op, f(o.path), o.mode.toString(8).padStart(4, "0")];
      default:
        return [o.op, "path" in o ? f(o.path) : ""];
    }
  });
}

/** strace's string syntax back to the string. */
function unquote(s: string): string {
  return s.replace(/\\(x[0-9a-f]{2}|[0-7]{1,3}|.)/g, (_, c: string) => {
    if (c[0] === "x") return String.fromCharCode(parseInt(c.slice(1), 16));
    if (/^[0-7]/.test(c)) return String.fromCharCode(parseInt(c, 8));
    return ({ n: "\n", t: "\t", r: "\r", v: "\v", f: "\f" } as Record<string, string>)[c] ?? c;
  });
}

const Q = '"((?:[^"\\\\]|\\\\.)*)"';

/**
 * What zoo-runtime's main thread did to the host, as the entry describes it:
 * mkdir, mkfifo, O_PATH opens, the first lock of each directory, one write(2)
 * per write, replace (write tmp + rename), the fifo's unlink (start), rmdir,
 * and a directory's removal after its entries. The caches' own files are left out.
 */
function effectsOf(log: string): string[][] {
  const lines: string[] = [];
  const pending = new Map<string, string>();
  let main: string | undefined;
  for (const raw of log.split("\n").filter(Boolean)) {
    const [, pid, rest] = /^(\d+)\s+(.*)$/.exec(raw) ?? [];
    if (!pid || rest === undefined) continue;
    main ??= pid;
    if (pid !== main) continue;
    if (rest.endsWith("<unfinished ...>")) {
      pending.set(pid, rest.slice(0, -"<unfinished ...>".length).trimEnd());
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    lines.push(resumed ? (pending.get(pid) ?? "") + resumed[1] : rest);
  }
  const fds = new Map<string, { path: string; flags: string }>();
  const locked = new Set<string>();
  // Files made with O_CREAT and their modes: a replace's temporary file.
  const created = new Map<string, string>();
  const out: string[][] = [];
  const ours = (p: string) => !p.startsWith("/run/zoo/cache/");
  for (const l of lines) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^mkdir\\(${Q}, (\\d+)\\)\\s+= `).exec(l))) {
      if (ours(unquote(m[1]!))) out.push(["mkdir", unquote(m[1]!), m[2]!]);
    } else if ((m = new RegExp(`^mknodat\\(AT_FDCWD, ${Q}, S_IFIFO\\|(\\d+)`).exec(l))) {
      out.push(["mkfifo", unquote(m[1]!), m[2]!]);
    } else if ((m = new RegExp(`^openat\\(AT_FDCWD, ${Q}, ([A-Z_|]+)(?:, (\\d+))?\\)\\s+= (\\d+)`).exec(l))) {
      const path = unquote(m[1]!);
      fds.set(m[4]!, { path, flags: m[2]! });
      if (m[3]) created.set(path, m[3]);
      if (m[2]!.includes("O_PATH")) out.push(["open", path]);
    } else if ((m = /^close\((\d+)\)/.exec(l))) {
      fds.delete(m[1]!);
    } else if ((m = /^flock\((\d+), LOCK_EX\)\s+= 0/.exec(l))) {
      const path = fds.get(m[1]!)?.path;
      if (path && !locked.has(path)) out.push(["lock", path]);
      if (path) locked.add(path);
    } else if ((m = new RegExp(`^write\\((\\d+), ${Q}, \\d+\\)\\s+= \\d+`).exec(l))) {
      const f = fds.get(m[1]!);
      if (f && f.flags.includes("O_WRONLY") && !f.flags.includes("O_CREAT")) out.push(["write", f.path, unquote(m[2]!)]);
    } else if ((m = new RegExp(`^rename\\(${Q}, ${Q}\\)\\s+= 0`).exec(l))) {
      if (ours(unquote(m[2]!))) out.push(["replace", unquote(m[2]!), created.get(unquote(m[1]!)) ?? "?"]);
    } else if ((m = new RegExp(`^unlink\\(${Q}\\)\\s+= 0`).exec(l))) {
      if (unquote(m[1]!).endsWith("/exec.fifo")) out.push(["start", unquote(m[1]!)]);
    } else if ((m = new RegExp(`^rmdir\\(${Q}\\)\\s+= `).exec(l))) {
      out.push(["rmdir", unquote(m[1]!)]);
    } else if ((m = new RegExp(`^unlinkat\\(AT_FDCWD, ${Q}, AT_REMOVEDIR\\)\\s+= 0`).exec(l))) {
      out.push(["rmtree", unquote(m[1]!)]);
    } else if ((m = /^bpf\(BPF_PROG_ATTACH, \{target_fd=(\d+)/.exec(l))) {
      out.push(["bpf", fds.get(m[1]!)?.path ?? "?"]);
    }
  }
  return out;
}
