// Escape probes (test/fixtures/probe.c `escape`) inside every front door.
// Each probe tries one privilege or known escape; the table printed at the end
// shows what each door answered, and every cell is checked against what that
// door promises. The --privileged column is the control: it shows the probes
// do detect an open door, so a "refused" elsewhere means something.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DIST, ensureTestUser, expectNoLeaks, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, ZOO, ZOOKEEPER,
  type LeakSnapshot, type Result, type TestUser,
} from "../helpers/env.ts";
import { makeProbeImage, PROBE_REF } from "./probe-image.ts";
import { defaultSpec } from "../../src/oci/default-spec.ts";
import { removeRunCacheEntries } from "../helpers/run-cache.ts";

const PROBES = [
  "mount", "reboot", "init_module", "finit_module", "sysrq_trigger", "proc_sys", "kcore", "timer_list", "keyctl", "ptrace",
  "mknod_block", "open_block", "unshare_user", "attr_write", "sys_write", "cgroup_write", "proc1_exe", "exe_write", "leaked_fds", "cwd_outside",
] as const;
type Probe = (typeof PROBES)[number];

/** Debian's runc (a test-only tool, installed by .ci/run), when present. */
const RUNC = Bun.which("runc", { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" });

/**
 * The runc default spec has no seccomp profile: what only seccomp refuses
 * gets through, under runc too (the runc column shows it).
 */
const RUNC_SPEC_ALLOWS: Probe[] = ["keyctl", "ptrace", "unshare_user"];

/** Answers that mean "not past this door" for a probe whose result is not an errno. */
const REFUSED_WORDS: Partial<Record<Probe, string[]>> = {
  timer_list: ["EMPTY"], // masked: /dev/null is bound over it
  leaked_fds: ["NONE"],
  cwd_outside: ["INSIDE"],
};

/** Files some kernels do not have at all; refusing them proves nothing, so the table says so. */
const HOST_FILE: Partial<Record<Probe, string>> = { kcore: "/proc/kcore", sysrq_trigger: "/proc/sysrq-trigger" };

type Outcome = "refused" | "allowed" | "absent";

function classify(probe: Probe, raw: string): Outcome {
  const word = raw.split(" ")[0]!;
  if (word === "ok") return "allowed";
  const hostFile = HOST_FILE[probe];
  if (word === "ENOENT" && hostFile && !existsSync(hostFile)) return "absent";
  if (REFUSED_WORDS[probe]) return REFUSED_WORDS[probe]!.includes(word) ? "refused" : "allowed";
  // A kernel built without module support answers ENOSYS before any permission check.
  if ((probe === "init_module" || probe === "finit_module") && word === "ENOSYS") return "absent";
  // Past the permission checks reboot(CAD_OFF) in a pid namespace gives EINVAL: the door was open.
  if (probe === "reboot") return word === "EPERM" ? "refused" : "allowed";
  return word.startsWith("E") ? "refused" : "allowed";
}

function parse(r: Result): Record<Probe, string> {
  const out = {} as Record<Probe, string>;
  for (const line of r.stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq) as Probe] = line.slice(eq + 1);
  }
  return out;
}

interface Door {
  name: string;
  run: () => Promise<Result>;
  /** Probes this door lets through on purpose; everything else must be refused (or absent from the kernel). */
  allowed: Probe[];
}

describe.skipIf(!IS_ROOT)("escape probes", () => {
  let user: TestUser;
  let rootStore: string;
  let userStore: string;
  let fs: string;
  let userFs: string;
  let before: LeakSnapshot;
  let work: string;
  const results = new Map<string, Record<Probe, string>>();

  beforeAll(async () => {
    requireBuild();
    before = leakSnapshot();
    user = ensureTestUser();
    rootStore = mkdtempSync("/var/tmp/zoo-escape-store-");
    userStore = mkdtempSync("/var/tmp/zoo-escape-store-");
    chownSync(userStore, user.uid, user.gid);
    await makeProbeImage(rootStore);
    await makeProbeImage(userStore, user);
    fs = makeRootfs();
    userFs = makeRootfs(user);
    work = mkdtempSync("/var/tmp/zoo-escape-oci-");
  }, 60_000);

  afterAll(async () => {
    const doors = [...results.keys()];
    const width = Math.max(...PROBES.map((p) => p.length)) + 2;
    const col = (d: string) => Math.max(d.length, 16) + 2;
    const lines = [["probe".padEnd(width), ...doors.map((d) => d.padEnd(col(d)))].join("")];
    for (const p of PROBES) {
      lines.push([p.padEnd(width), ...doors.map((d) => {
        const raw = results.get(d)![p] ?? "missing";
        const o = classify(p, raw);
        return `${o}${o === "allowed" ? "" : ` (${raw.split(" ")[0]})`}`.padEnd(col(d));
      })].join(""));
    }
    console.log(`\n${lines.join("\n")}\n`);
    rmSync(rootStore, { recursive: true, force: true });
    rmSync(userStore, { recursive: true, force: true });
    // Its foreground runs leave run cache entries keyed on this --root, and zoo run's on its ZOO_ROOT.
    if (work) expect(removeRunCacheEntries(join(work, "state"))).toBe(0);
    if (rootStore) expect(removeRunCacheEntries(rootStore)).toBe(0);
    if (work) rmSync(work, { recursive: true, force: true });
    removeFixtures();
    // Only what appeared counts: other sessions on this host come and go.
    let now = await expectNoLeaks(before);
    for (let i = 0; i < 40 && now.tmpdirs.some((d) => !before.tmpdirs.includes(d)); i++) {
      await Bun.sleep(250);
      now = leakSnapshot();
    }
    const added = Object.fromEntries(
      Object.entries(now).map(([k, v]) => [k, (v as string[]).filter((x) => !(before[k as keyof LeakSnapshot] ?? []).includes(x) && !/^(zoo\d|lease dir zoo\d|nft table)/.test(x))]),
    );
    expect(added).toEqual({ mounts: [], cgroups: [], tmpdirs: [], net: [] });
  }, 60_000);

  const zooRoot = (flags: string[] = []) => () => run([ZOO, "run", "--rm", ...flags, PROBE_REF, "/bin/probe", "escape"], { env: { ZOO_ROOT: rootStore } });
  const doors: Door[] = [
    { name: "zoo run (root)", run: zooRoot(), allowed: [] },
    {
      name: "zoo run (rootless)",
      run: () => run([ZOO, "run", "--rm", "--network", "none", PROBE_REF, "/bin/probe", "escape"], { asUser: user, env: { ZOO_ROOT: userStore } }),
      allowed: [],
    },
    // zookeeper masks and write-protects the same paths as zoo run: as root its
    // user namespace maps root to host root, which host-wide sysctls accept.
    { name: "zookeeper (root)", run: () => run([ZOOKEEPER, "-r", fs, "-P", "/bin/probe", "escape"]), allowed: [] },
    // Without -r the container keeps the host's filesystem by design (seed
    // parts 1-3), the host's /dev and cgroup filesystem with it: the kernel
    // interfaces close, and the device cgroup keeps the host's block devices
    // shut. It is no boundary for root (docs/design/security.md).
    { name: "zookeeper (root, host view)", run: () => run([ZOOKEEPER, "-P", `${fs}/bin/probe`, "escape"]), allowed: ["cgroup_write"] },
    {
      name: "zookeeper (rootless)",
      run: () => run([ZOOKEEPER, "-r", userFs, "-P", "/bin/probe", "escape"], { asUser: user }),
      allowed: [],
    },
  ];

  // An OCI runtime given the runc default spec (`runc spec`, or zoo-runtime's
  // own when runc is missing), only pointed at the probe: no seccomp, runc's
  // three capabilities, its masked and read-only paths. The rootfs stays
  // writable so that the mount and mknod probes fail for the right reason.
  let bundles = 0;
  const ociDoor = (runtime: string, specFrom: "runc" | "zoo-runtime" = "runc") => async (): Promise<Result> => {
    const dir = join(work, `bundle-${++bundles}`);
    mkdirSync(dir);
    if (specFrom === "runc" && !RUNC) {
      // runc's shape, which defaultSpec() keeps (`zoo-runtime spec` adds seccomp to it).
      writeFileSync(join(dir, "config.json"), JSON.stringify(defaultSpec({ rootless: false, uid: 0, gid: 0 })));
    } else {
      const gen = await run([specFrom === "runc" ? RUNC! : join(DIST, "zoo-runtime"), "spec"], { cwd: dir });
      if (gen.code !== 0) throw new Error(`spec failed: ${gen.stderr}`);
    }
    const spec = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    spec.process.terminal = false;
    spec.process.args = ["/bin/probe", "escape"];
    spec.root = { path: fs, readonly: false };
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    return run([runtime, "--root", join(work, "state"), "run", "--bundle", dir, `escape-${process.pid}-${bundles}`]);
  };
  doors.push({ name: "zoo-runtime (runc spec)", run: ociDoor(join(DIST, "zoo-runtime")), allowed: RUNC_SPEC_ALLOWS });
  // `zoo-runtime spec` adds the default seccomp profile: nothing gets through.
  doors.push({ name: "zoo-runtime (its spec)", run: ociDoor(join(DIST, "zoo-runtime"), "zoo-runtime"), allowed: [] });
  if (RUNC) doors.push({ name: "runc (runc spec)", run: ociDoor(RUNC), allowed: RUNC_SPEC_ALLOWS });

  for (const door of doors) {
    test(door.name, async () => {
      const r = await door.run();
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const got = parse(r);
      results.set(door.name, got);
      expect(Object.keys(got).sort()).toEqual([...PROBES].sort());
      const outcomes: Record<string, Outcome> = Object.fromEntries(PROBES.map((p) => [p, classify(p, got[p])]));
      const expected: Record<string, Outcome> = Object.fromEntries(PROBES.map((p) => [p, door.allowed.includes(p) ? "allowed" : outcomes[p] === "absent" ? "absent" : "refused"]));
      expect(outcomes).toEqual(expected);
    });
  }

  test.skipIf(!RUNC)("zoo-runtime refuses at least what runc refuses with the same spec", () => {
    const zoo = results.get("zoo-runtime (runc spec)");
    const runc = results.get("runc (runc spec)");
    if (!zoo || !runc) throw new Error("the runtime doors did not run");
    const weaker = PROBES.filter((p) => classify(p, zoo[p]) === "allowed" && classify(p, runc[p]) !== "allowed");
    expect(weaker).toEqual([]);
  });

  test("control: --privileged opens the doors the defaults close", async () => {
    const r = await zooRoot(["--privileged"])();
    expect(r.code).toBe(0);
    const got = parse(r);
    results.set("zoo run --privileged", got);
    for (const p of ["mount", "reboot", "proc_sys", "timer_list", "keyctl", "ptrace", "mknod_block", "unshare_user", "sys_write", "cgroup_write"] as Probe[]) {
      expect([p, classify(p, got[p])]).toEqual([p, "allowed"]);
    }
    // What no door may allow, privileged or not.
    for (const p of ["proc1_exe", "exe_write", "leaked_fds", "cwd_outside"] as Probe[]) expect([p, classify(p, got[p])]).toEqual([p, "refused"]);
  });
});
