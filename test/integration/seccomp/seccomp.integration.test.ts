/**
 * Loads compiled filters into a real process and watches the kernel enforce
 * them. Each case runs a fresh `bun probe-child.ts` (the runtime's C shim is
 * not needed): the child installs the filter with prctl + seccomp(2) via
 * bun:ffi and reports what each probe syscall returned.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostArch, syscallNumber } from "../../../src/seccomp/arch.ts";
import { compileSeccomp, type CompiledSeccomp } from "../../../src/seccomp/compile.ts";
import { zookeeperSeccompProfile } from "../../../src/seccomp/profiles/zookeeper.ts";
import { AARCH64_SYSCALLS } from "../../../src/seccomp/tables/aarch64.ts";
import { X86_64_SYSCALLS } from "../../../src/seccomp/tables/x86_64.ts";
import type { LinuxSeccomp } from "../../../src/seccomp/types.ts";

const supported = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");
const CHILD = join(import.meta.dir, "probe-child.ts");
const EPERM = -1;
const EACCES = -13;
const ENOTTY = -25;
const ENOSYS = -38;

interface ChildRun {
  results: Map<string, Record<string, unknown>>;
  events: string[];
  exitCode: number | null;
  signal: string | null;
  stderr: string;
}

let dir = "";
let file = "";

async function runChild(filter: CompiledSeccomp | null, probes: string[]): Promise<ChildRun> {
  chmodSync(file, 0o644);
  const proc = Bun.spawn([process.execPath, CHILD], {
    env: {
      ...process.env,
      ZOO_FILTER_HEX: filter ? Buffer.from(filter.bytes).toString("hex") : "",
      ZOO_FILTER_FLAGS: String((filter?.flags ?? 0) | 1), // Bun runs several threads: TSYNC is required
      ZOO_PROBES: probes.join(","),
      ZOO_FILE: file,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const results = new Map<string, Record<string, unknown>>();
  const events: string[] = [];
  for (const line of out.split("\n").filter(Boolean)) {
    const msg = JSON.parse(line) as { event: string; probe?: string };
    events.push(msg.probe ? `${msg.event}:${msg.probe}` : msg.event);
    if (msg.event === "result" && msg.probe) results.set(msg.probe, msg);
  }
  return { results, events, exitCode: proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode), stderr: err };
}

function ret(run: ChildRun, probe: string): number {
  const r = run.results.get(probe);
  if (!r) throw new Error(`probe ${probe} produced no result; events=${run.events.join(" ")} stderr=${run.stderr}`);
  return r.ret as number;
}

/** An allow-list of every syscall this machine's headers know, except `except`. */
function allowAllBut(except: string[], defaultAction: "SCMP_ACT_ERRNO" | "SCMP_ACT_KILL_PROCESS", defaultErrnoRet?: number): LinuxSeccomp {
  const table = hostArch() === "x86_64" ? X86_64_SYSCALLS : AARCH64_SYSCALLS;
  const names = [...table.keys()].filter((n) => !except.includes(n));
  const p: LinuxSeccomp = { defaultAction, syscalls: [{ names, action: "SCMP_ACT_ALLOW" }] };
  if (defaultErrnoRet !== undefined) p.defaultErrnoRet = defaultErrnoRet;
  return p;
}

describe.skipIf(!supported)("seccomp filters enforced by the running kernel", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "zoo-seccomp-"));
    file = join(dir, "target");
    writeFileSync(file, "#!/bin/sh\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const zkProbes = [
    "getpid", "chmod_plain", "chmod_suid", "fchmodat_sgid", "fchmodat2_suid", "unshare_newuser",
    "ioctl_tiocsti_high_garbage", "ioctl_tiocgwinsz", "keyctl", "clone3", "runtime_alive",
  ];

  test("baseline: without a filter the probes do reach the kernel", async () => {
    const run = await runChild(null, zkProbes);
    expect(run.exitCode).toBe(0);
    expect(ret(run, "getpid")).toBe(run.results.get("getpid")!.pid as number);
    // The owner of a file may set its setuid/setgid bits, so these succeed unfiltered.
    expect(ret(run, "chmod_suid")).toBe(0);
    expect(run.results.get("chmod_suid")!.mode).toBe(0o4755);
    expect(ret(run, "fchmodat_sgid")).toBe(0);
    // On kernels >= 6.6 fchmodat2 exists even when the build headers predate it: the bypass the
    // compiler's newer-syscall guard closes.
    const fchmodat2 = ret(run, "fchmodat2_suid");
    expect([0, ENOSYS]).toContain(fchmodat2);
    if (fchmodat2 === 0) expect(run.results.get("fchmodat2_suid")!.mode).toBe(0o4755);
    // Bun is multi-threaded, so the kernel itself refuses CLONE_NEWUSER with EINVAL (not EPERM).
    expect(ret(run, "unshare_newuser")).not.toBe(EPERM);
    expect(ret(run, "ioctl_tiocsti_high_garbage")).toBe(ENOTTY); // the kernel truncates cmd to TIOCSTI
    expect(ret(run, "clone3")).not.toBe(ENOSYS);
  });

  test("zookeeper profile: denied calls get EPERM, the rest still work", async () => {
    const compiled = compileSeccomp(zookeeperSeccompProfile());
    const run = await runChild(compiled, zkProbes);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.events).toContain("loaded");
    expect(ret(run, "getpid")).toBe(run.results.get("getpid")!.pid as number);
    expect(ret(run, "chmod_plain")).toBe(0);
    expect(run.results.get("chmod_plain")!.mode).toBe(0o755);
    expect(ret(run, "chmod_suid")).toBe(EPERM);
    expect(run.results.get("chmod_suid")!.mode).toBe(0o755); // unchanged
    expect(ret(run, "fchmodat_sgid")).toBe(EPERM);
    // fchmodat2 is denied by its rule when the table knows it, else by the newer-syscall guard.
    expect(ret(run, "fchmodat2_suid")).toBe(syscallNumber(hostArch(), "fchmodat2") === undefined ? ENOSYS : EPERM);
    expect(run.results.get("fchmodat2_suid")!.mode).toBe(0o755);
    expect(ret(run, "unshare_newuser")).toBe(EPERM);
    expect(ret(run, "ioctl_tiocsti_high_garbage")).toBe(EPERM);
    expect(ret(run, "ioctl_tiocgwinsz")).toBe(ENOTTY); // other ioctls reach the kernel
    expect(ret(run, "keyctl")).toBe(EPERM);
    expect(ret(run, "clone3")).toBe(ENOSYS);
    expect(run.results.get("runtime_alive")!.sum).toBe(6);
  });

  test.skipIf(process.arch !== "x64")("zookeeper profile: x32 variants of denied calls do not get through", async () => {
    const run = await runChild(compileSeccomp(zookeeperSeccompProfile()), ["x32_chmod_suid"]);
    expect(ret(run, "x32_chmod_suid")).toBe(ENOSYS);
    expect(run.results.get("x32_chmod_suid")!.mode).toBe(0o644);
  });

  test("default errno: an allow-list answers everything else with defaultErrnoRet", async () => {
    const compiled = compileSeccomp(allowAllBut(["getppid"], "SCMP_ACT_ERRNO", 13));
    const probes = ["getpid", "getppid", "chmod_plain", "runtime_alive", ...(process.arch === "x64" ? ["x32_getpid"] : [])];
    const run = await runChild(compiled, probes);
    expect(run.exitCode).toBe(0);
    expect(ret(run, "getpid")).toBe(run.results.get("getpid")!.pid as number);
    expect(ret(run, "getppid")).toBe(EACCES);
    expect(ret(run, "chmod_plain")).toBe(0);
    // x32 numbers get the refusing default rather than the kernel's own ENOSYS.
    if (process.arch === "x64") expect(ret(run, "x32_getpid")).toBe(EACCES);
  });

  test("default kill: the first syscall outside the allow-list kills the process with SIGSYS", async () => {
    const compiled = compileSeccomp(allowAllBut(["getppid"], "SCMP_ACT_KILL_PROCESS"));
    const run = await runChild(compiled, ["getpid", "getppid", "runtime_alive"]);
    expect(run.signal).toBe("SIGSYS");
    expect(run.events).toEqual(["loading", "loaded", "before:getpid", "result:getpid", "before:getppid"]);
  });

  test("arch check: a filter compiled for another arch kills the process on its next syscall", async () => {
    const foreign = hostArch() === "x86_64" ? "aarch64" : "x86_64";
    const compiled = compileSeccomp(zookeeperSeccompProfile(), { arch: foreign });
    const run = await runChild(compiled, ["getpid"]);
    expect(run.signal).toBe("SIGSYS");
    // seccomp() itself returned (it is not filtered by the filter it installs); the write after it was killed.
    expect(run.events).toEqual(["loading"]);
  });
});
