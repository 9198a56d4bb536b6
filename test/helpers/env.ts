// Shared facts and tools for integration tests: the built binaries, a busybox
// rootfs fixture, an unprivileged test user, and leak snapshots.
import { removeRunCacheEntries } from "./run-cache.ts";
import { cpSync, lstatSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { busyboxEntries, unpack } from "../../src/image/busybox.ts";

export const REPO = join(import.meta.dir, "../..");
export const DIST = join(REPO, "dist");
export const ZOOKEEPER = join(DIST, "zookeeper");
export const ZOO = join(DIST, "zoo");
export const IS_ROOT = process.geteuid!() === 0;

export function requireBuild() {
  for (const f of [ZOOKEEPER, join(DIST, "zoo-shim")]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
  }
}

export interface Result {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  asUser?: TestUser;
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
}

const SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const RUNUSER = () => Bun.which("runuser", { PATH: SBIN_PATH }) ?? "runuser";

/** Runs a command (as root, or as the test user through runuser) and collects everything. */
export async function run(cmd: string[], o: RunOpts = {}): Promise<Result> {
  const argv = o.asUser ? [RUNUSER(), "-u", o.asUser.name, "--", "env", ...envArgs(o.asUser, o.env), ...cmd] : cmd;
  const p = Bun.spawn(argv, {
    stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd: o.cwd ?? "/",
    env: o.asUser ? {} : { PATH: process.env.PATH || SBIN_PATH, ...o.env },
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), o.timeoutMs ?? 60_000);
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  clearTimeout(timer);
  return { code: p.exitCode, signal: p.signalCode === null ? null : String(p.signalCode), stdout, stderr };
}

function envArgs(u: TestUser, extra: Record<string, string> = {}): string[] {
  const env = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: u.home, USER: u.name, LOGNAME: u.name, ...extra };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  subuid: number;
  subgid: number;
}

const TEST_USER = "zootest";
const SUB_START = 600000;

/** An unprivileged user with /etc/subuid and /etc/subgid ranges, created once. */
export function ensureTestUser(): TestUser {
  if (!IS_ROOT) throw new Error("creating the test user needs root");
  const passwd = () => readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${TEST_USER}:`));
  if (!passwd()) {
    const r = Bun.spawnSync([Bun.which("useradd", { PATH: SBIN_PATH }) ?? "useradd", "-m", "-s", "/bin/sh", TEST_USER]);
    if (r.exitCode !== 0) throw new Error(`useradd failed: ${r.stderr}`);
  }
  const [, , uid, gid, , home] = passwd()!.split(":");
  for (const file of ["/etc/subuid", "/etc/subgid"]) {
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (!text.split("\n").some((l) => l.startsWith(`${TEST_USER}:`))) {
      const flag = file.endsWith("uid") ? "--add-subuids" : "--add-subgids";
      const r = Bun.spawnSync([Bun.which("usermod", { PATH: SBIN_PATH }) ?? "usermod", flag, `${SUB_START}-${SUB_START + 65535}`, TEST_USER]);
      if (r.exitCode !== 0) throw new Error(`usermod ${flag} failed: ${r.stderr}`);
    }
  }
  const sub = (file: string) => Number(readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(`${TEST_USER}:`))!.split(":")[1]);
  return { name: TEST_USER, uid: Number(uid), gid: Number(gid), home: home!, subuid: sub("/etc/subuid"), subgid: sub("/etc/subgid") };
}

let probeBinary: string | null = null;

/** The static probe program (test/fixtures/probe.c), compiled once per run. */
export function probe(): string {
  return (probeBinary ??= compileFixture("test/fixtures/probe.c", { static: true }));
}

/** A C test program compiled into this run's fixtures dir (removed with it by removeFixtures). */
export function compileFixture(source: string, o: { static?: boolean } = {}): string {
  const out = join(fixturesDir(), basename(source, ".c"));
  const r = Bun.spawnSync(["gcc", ...(o.static ? ["-static"] : []), "-O2", "-Wall", "-Wextra", "-Werror", "-o", out, join(REPO, source)]);
  if (r.exitCode !== 0) throw new Error(`compiling ${source} failed: ${r.stderr}`);
  return out;
}

let fixtures: string | null = null;
function fixturesDir(): string {
  if (!fixtures) {
    mkdirSync("/var/tmp", { recursive: true });
    fixtures = mkdtempSync("/var/tmp/zoo-test-fixtures-");
    // The test user must reach rootfs fixtures inside.
    Bun.spawnSync(["chmod", "0755", fixtures]);
  }
  return fixtures;
}

/** A busybox root filesystem (plus the probe) owned by `owner` (default root). */
export function makeRootfs(owner?: TestUser): string {
  const dir = mkdtempSync(join(fixturesDir(), "rootfs-"));
  Bun.spawnSync(["chmod", "0755", dir]);
  const bin = readFileSync("/bin/busybox");
  const list = Bun.spawnSync(["/bin/busybox", "--list-full"]).stdout.toString().split("\n").filter(Boolean);
  unpack(busyboxEntries(bin, list), dir);
  cpSync(probe(), join(dir, "bin/probe"));
  if (owner) chownTree(dir, owner.uid, owner.gid);
  return dir;
}

function chownTree(p: string, uid: number, gid: number) {
  lchownSync(p, uid, gid);
  if (statSync(p, { throwIfNoEntry: false })?.isDirectory() && !isLink(p)) {
    for (const e of readdirSync(p)) chownTree(join(p, e), uid, gid);
  }
}
const isLink = (p: string) => lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;

export function removeFixtures() {
  if (fixtures) rmSync(fixtures, { recursive: true, force: true });
  fixtures = null;
  probeBinary = null;
}

export interface LeakSnapshot {
  mounts: string[];
  cgroups: string[];
  tmpdirs: string[];
  /** zoo bridges (but the default network's) and veths, zoo's nftables table left without a bridge, bridge leases. */
  net?: string[];
}

// The default network's bridge (zoo0) stays once made, as docker0 does, and
// zoo's table with it; a user network's bridge goes with `zoo network rm`.
function netState(): string[] {
  const links = readdirSync("/sys/class/net").filter((l) => /^(zoo|z[0-9a-f]{12})/.test(l));
  const leases = existsSync("/run/zoo/net") ? readdirSync("/run/zoo/net").filter((e) => e !== "lock").map((e) => `lease dir ${e}`) : [];
  const nft = Bun.which("nft", { PATH: "/usr/sbin:/sbin:/usr/bin" });
  const bridges = links.some((l) => l.startsWith("zoo"));
  const table = !bridges && nft && Bun.spawnSync([nft, "list", "table", "ip", "zoo"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0 ? ["nft table ip zoo without a bridge"] : [];
  return [...links.filter((l) => l !== "zoo0"), ...leases, ...table];
}

function findCgroups(dir: string, depth: number, out: string[]) {
  if (depth < 0) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    // zoo-* container cgroups, and the systemd scopes zookeeper asks for.
    if (e.startsWith("zoo-") || e.startsWith("zookeeper-")) out.push(p);
    findCgroups(p, depth - 1, out);
  }
}

function hostDamage(): string[] {
  const out: string[] = [];
  for (const [path, rdev] of [["/dev/null", 0x103], ["/dev/zero", 0x105]] as const) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || !st.isCharacterDevice() || st.rdev !== rdev) out.push(`HOST ${path} is no longer the device it was`);
  }
  return out;
}

/** What a container could leave behind on the host. */
export function leakSnapshot(): LeakSnapshot {
  // A rootfs is bound onto itself in the container's namespace: the tests'
  // rootfs and bundles live in /var/tmp/zoo-*, and no such mount may show here.
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => /\/tmp\/zoo\.|zoo-shim|\/zoo\/containers\/|\/var\/tmp\/zoo-/.test(l));
  const cgroups: string[] = [];
  findCgroups("/sys/fs/cgroup", 6, cgroups);
  const tmpdirs = readdirSync("/tmp").filter((e) => e.startsWith("zoo.")).map((e) => `/tmp/${e}`);
  // Damage to the host itself shows up as an addition too: once, a run left
  // the host's /dev/null a symlink, and every test after it saw a regular file.
  const host = hostDamage();
  return { mounts: [...mounts, ...host], cgroups: cgroups.filter((c) => !c.includes("zoo-deleg-")), tmpdirs, net: IS_ROOT ? netState() : [] };
}

/**
 * What is on the host now that was not in `before`, shaped as `before` plus the
 * additions, so `expect(await expectNoLeaks(before)).toEqual(before)` names
 * each leak. Only additions count: other zoo runs on the host (other test
 * files, other engineers) may finish, and take their objects with them,
 * meanwhile. Polls briefly: a just-exited container's cgroup can take a moment
 * to be released.
 */
export async function expectNoLeaks(before: LeakSnapshot): Promise<LeakSnapshot> {
  const since = (now: LeakSnapshot): LeakSnapshot => {
    const grow = (b: string[] = [], n: string[] = []) => [...b, ...n.filter((x) => !b.includes(x))];
    const out: LeakSnapshot = { mounts: grow(before.mounts, now.mounts), cgroups: grow(before.cgroups, now.cgroups), tmpdirs: grow(before.tmpdirs, now.tmpdirs) };
    if (before.net !== undefined) out.net = grow(before.net, now.net);
    return out;
  };
  let now = since(leakSnapshot());
  // Up to 5 s: systemd removes an emptied scope on its own schedule (slow in an emulated VM).
  for (let i = 0; i < 100 && JSON.stringify(now) !== JSON.stringify(before); i++) {
    await Bun.sleep(50);
    now = since(leakSnapshot());
  }
  return now;
}

/**
 * The scaffolding of a suite that runs `zoo` against a private store: the
 * build must exist, the store is temporary, and every test is leak-checked.
 */
export function useTempStore() {
  const ctx = useStoreOnly();
  let before: LeakSnapshot;
  beforeAll(() => {
    before = leakSnapshot();
  });
  afterEach(async () => expect(await expectNoLeaks(before)).toEqual(before));
  return ctx;
}

/**
 * A suite that runs containers from a busybox root filesystem: the build
 * must exist, the rootfs is made once (`prepare` may add to it), every test
 * is leak-checked against the state before the first, and the fixtures go
 * at the end.
 */
export function useRootfs(o: { prepare?: (fs: string) => void; timeoutMs?: number } = {}): { fs: string } {
  const ctx = { fs: "" };
  let before: LeakSnapshot;
  beforeAll(() => {
    requireBuild();
    ctx.fs = makeRootfs();
    o.prepare?.(ctx.fs);
    before = leakSnapshot();
  }, o.timeoutMs);
  afterEach(async () => expect(await expectNoLeaks(before)).toEqual(before));
  afterAll(() => removeFixtures());
  return ctx;
}

/** useTempStore without its leak check, for a suite that checks leaks its own way. */
export function useStoreOnly() {
  const ctx = {
    store: "",
    zoo: (args: string[], o: RunOpts = {}) => run([ZOO, ...args], { ...o, env: { ZOO_ROOT: ctx.store, ...o.env } }),
  };
  beforeAll(() => {
    requireBuild();
    ctx.store = mkdtempSync("/var/tmp/zoo-test-store-");
  });
  afterAll(() => {
    // zoo run --network none leaves cache entries keyed on ZOO_ROOT.
    removeRunCacheEntries(ctx.store);
    rmSync(ctx.store, { recursive: true, force: true });
  });
  return ctx;
}
