import { expect, test } from "bun:test";
import { zookeeperSpec, ZOOKEEPER_DROPPED_CAPS } from "../../../src/frontends/zookeeper-spec.ts";
import { buildPlan, type BuildContext } from "../../../src/runtime/plan-builder.ts";
import { capBit } from "../../../src/oci/caps.ts";
import { CLONE } from "../../../src/sys/constants.ts";
import { MS } from "../../../src/oci/mount-options.ts";
import { ROOTFUL_MAPPINGS } from "../../../src/runtime/idmap.ts";
import type { PlanStep } from "../../../src/plan/ops.ts";

const base = { help: false, proc: false, network: false, command: ["/bin/sh"] };
const id = { cwd: "/home/u", env: { PATH: "/bin", UNSET: undefined }, uidMappings: ROOTFUL_MAPPINGS, gidMappings: ROOTFUL_MAPPINGS };
const ctx = (over: Partial<BuildContext> = {}): BuildContext => ({
  rootMount: null, cgroupFd: null, seccomp: null, gidMapped: () => true, setgroupsAllowed: true, foreground: true, ...over,
});
const ops = (steps: PlanStep[]) => steps.map((s) => s.op);
const idx = (steps: PlanStep[], pred: (s: PlanStep) => boolean) => steps.findIndex(pred);

test("zookeeper: all seed namespaces; the cgroup one is unshared after setup", () => {
  const steps = buildPlan(zookeeperSpec({ ...base }, id), ctx());
  const clone = steps.find((s) => s.op === "clone") as { flags: bigint };
  for (const f of [CLONE.NEWUSER, CLONE.NEWPID, CLONE.NEWNS, CLONE.NEWNET, CLONE.NEWIPC, CLONE.NEWUTS, CLONE.NEWTIME]) {
    expect(clone.flags & f).toBe(f);
  }
  expect(clone.flags & CLONE.NEWCGROUP).toBe(0n);
  expect(steps).toContainEqual({ op: "unshare", flags: CLONE.NEWCGROUP });
  expect(steps).toContainEqual({ op: "sethostname", name: "zoo" });
});

test("with -r: private propagation, bind on the temp dir, /proc, /dev, pivot_root(.,.) then detach", () => {
  const spec = zookeeperSpec({ ...base, root: "/fs", proc: true }, id);
  const steps = buildPlan(spec, ctx({ rootMount: "/tmp/zoo.abc" }));
  expect(steps[idx(steps, (s) => s.op === "mount")]).toEqual({ op: "mount", source: null, target: "/", fstype: null, flags: MS.REC | MS.PRIVATE, data: null });
  expect(steps).toContainEqual({ op: "mount", source: "/fs", target: "/tmp/zoo.abc", fstype: null, flags: MS.BIND | MS.REC, data: null });
  expect(steps).toContainEqual({ op: "mount", source: "proc", target: "/tmp/zoo.abc/proc", fstype: "proc", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: null });
  const devNull = steps.find((s) => s.op === "device" && s.path === "/tmp/zoo.abc/dev/null");
  expect(devNull).toMatchObject({ major: 1, minor: 3, bindFallback: "/dev/null" });
  const pivot = idx(steps, (s) => s.op === "pivotRoot");
  expect(steps[pivot - 1]).toEqual({ op: "chdir", path: "/tmp/zoo.abc" });
  expect(steps[pivot]).toEqual({ op: "pivotRoot", newRoot: ".", putOld: "." });
  expect(steps[pivot + 1]).toEqual({ op: "umount", path: ".", flags: 2 });
  // Every mount into the new root happens before pivot_root.
  expect(Math.max(...steps.map((s, i) => (s.op === "mount" || s.op === "device" ? i : -1)))).toBeLessThan(pivot);
});

test("without -r the host view stays and /proc is mounted over the host's only with -P", () => {
  const steps = buildPlan(zookeeperSpec({ ...base, proc: true }, id), ctx());
  expect(ops(steps)).not.toContain("pivotRoot");
  expect(steps).toContainEqual(expect.objectContaining({ op: "mount", target: "/proc", fstype: "proc" }));
  const noProc = buildPlan(zookeeperSpec({ ...base }, id), ctx());
  expect(noProc.filter((s) => s.op === "mount")).toHaveLength(1); // just the propagation change
  expect(noProc.find((s) => s.op === "chdir")).toEqual({ op: "chdir", path: "/home/u" });
});

test("privilege order: caps after setup, then no_new_privs, then seccomp, then exec", () => {
  const program = new Uint8Array(8);
  const steps = buildPlan(zookeeperSpec({ ...base, root: "/fs", proc: true }, id), ctx({ rootMount: "/t", seccomp: { program, flags: 0 } }));
  const caps = idx(steps, (s) => s.op === "caps");
  const nnp = idx(steps, (s) => s.op === "noNewPrivs");
  const sec = idx(steps, (s) => s.op === "seccomp");
  const exec = idx(steps, (s) => s.op === "exec");
  for (const priv of ["mount", "pivotRoot", "sethostname", "unshare", "device"]) {
    expect(Math.max(...steps.map((s, i) => (s.op === priv ? i : -1)))).toBeLessThan(caps);
  }
  expect(caps).toBeLessThan(nnp);
  expect(nnp).toBeLessThan(sec);
  expect(sec).toBe(exec - 1);
  expect(exec).toBe(steps.length - 1);
});

test("the seed's capabilities are dropped from bounding, effective and permitted; inheritable and ambient are empty", () => {
  const steps = buildPlan(zookeeperSpec({ ...base }, id), ctx());
  const caps = steps.find((s) => s.op === "caps") as Extract<PlanStep, { op: "caps" }>;
  for (const name of ZOOKEEPER_DROPPED_CAPS) {
    const bit = capBit(name)!;
    expect(caps.bounding & bit).toBe(0n);
    expect(caps.effective & bit).toBe(0n);
    expect(caps.permitted & bit).toBe(0n);
  }
  expect(caps.bounding & capBit("CAP_CHOWN")!).not.toBe(0n);
  expect(caps.bounding).toBe(caps.effective);
  expect(caps.inheritable).toBe(0n);
  expect(caps.ambient).toBe(0n);
});

test("exec gets the caller's environment and the command as given", () => {
  const steps = buildPlan(zookeeperSpec({ ...base, command: ["ls", "-l"] }, id), ctx());
  expect(steps.at(-1)).toEqual({ op: "exec", path: "ls", args: ["ls", "-l"], env: ["PATH=/bin"] });
});

test("devpts drops gid=5 when gid 5 is not mapped (rootless without subgids)", () => {
  const spec = zookeeperSpec({ ...base, root: "/fs" }, id);
  const withGid = buildPlan(spec, ctx({ rootMount: "/t" })).find((s) => s.op === "mount" && s.fstype === "devpts");
  const without = buildPlan(spec, ctx({ rootMount: "/t", gidMapped: (g) => g === 0 })).find((s) => s.op === "mount" && s.fstype === "devpts");
  expect((withGid as { data: string }).data).toContain("gid=5");
  expect((without as { data: string }).data).not.toContain("gid=");
});

test("resources: memory with swap off, CPU percent as quota over period, pids", () => {
  const spec = zookeeperSpec({ ...base, memory: 64 << 20, cpuPercent: 20, pids: 10 }, id);
  expect(spec.linux?.resources).toEqual({ memory: { limit: 64 << 20, swap: 64 << 20 }, cpu: { quota: 20000, period: 100000 }, pids: { limit: 10 } });
});

test("bad configs are refused with the field named", () => {
  const spec = zookeeperSpec({ ...base }, id);
  expect(() => buildPlan({ ...spec, process: { ...spec.process!, args: [] } }, ctx())).toThrow(/process.args/);
  const caps = { ...spec.process!, capabilities: { bounding: ["CAP_NOPE"] } };
  expect(() => buildPlan({ ...spec, process: caps }, ctx())).toThrow(/process.capabilities.bounding: unknown capability "CAP_NOPE"/);
  expect(() => buildPlan({ ...spec, process: { ...spec.process!, rlimits: [{ type: "RLIMIT_X", soft: 1, hard: 1 }] } }, ctx())).toThrow(/process.rlimits/);
});

test("without no_new_privs the filter is loaded while still privileged, right before the capability drop", () => {
  const spec = zookeeperSpec({ ...base }, id);
  spec.process!.noNewPrivileges = false;
  const steps = buildPlan(spec, ctx({ seccomp: { program: new Uint8Array(8), flags: 0 } }));
  const sec = idx(steps, (s) => s.op === "seccomp");
  expect(steps[sec + 1]!.op).toBe("caps");
  expect(ops(steps)).not.toContain("noNewPrivs");
  expect(steps.filter((s) => s.op === "seccomp")).toHaveLength(1);
});

test("masked and read-only paths: after pivot_root and the root remount, before hostname and caps, in the container's view", () => {
  const spec = zookeeperSpec({ ...base, root: "/fs", proc: true }, id);
  spec.root!.readonly = true;
  spec.linux!.maskedPaths = ["/proc/kcore", "/sys/firmware"];
  spec.linux!.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger"];
  const steps = buildPlan(spec, ctx({ rootMount: "/t", seccomp: { program: new Uint8Array(8), flags: 0 } }));
  const paths = steps.filter((s) => s.op === "maskPath" || s.op === "readonlyPath");
  expect(paths).toEqual([
    { op: "readonlyPath", path: "/proc/sys" },
    { op: "readonlyPath", path: "/proc/sysrq-trigger" },
    { op: "maskPath", path: "/proc/kcore" },
    { op: "maskPath", path: "/sys/firmware" },
  ]);
  const first = steps.indexOf(paths[0]!);
  const last = steps.indexOf(paths.at(-1)!);
  const rootRo = idx(steps, (s) => s.op === "mount" && s.target === "/" && (s.flags & MS.RDONLY) !== 0n);
  expect(idx(steps, (s) => s.op === "pivotRoot")).toBeLessThan(first);
  expect(rootRo).toBeLessThan(first);
  for (const later of ["sethostname", "unshare", "caps", "noNewPrivs", "seccomp", "exec"]) {
    expect(last).toBeLessThan(idx(steps, (s) => s.op === later));
  }
});

test("masked/read-only paths: none unless configured, refused without a mount namespace or when relative", () => {
  const spec = zookeeperSpec({ ...base, root: "/fs", proc: true }, id);
  spec.linux!.maskedPaths = undefined;
  spec.linux!.readonlyPaths = undefined;
  const plain = buildPlan(spec, ctx({ rootMount: "/t" }));
  expect(ops(plain)).not.toContain("maskPath");
  expect(ops(plain)).not.toContain("readonlyPath");
  const noMnt = zookeeperSpec({ ...base }, id);
  noMnt.linux!.namespaces = noMnt.linux!.namespaces!.filter((n) => n.type !== "mount");
  noMnt.linux!.maskedPaths = ["/proc/kcore"];
  expect(() => buildPlan(noMnt, ctx())).toThrow(/need a mount namespace/);
  const rel = zookeeperSpec({ ...base, root: "/fs" }, id);
  rel.linux!.readonlyPaths = ["proc/sys"];
  expect(() => buildPlan(rel, ctx({ rootMount: "/t" }))).toThrow(/linux.readonlyPaths: "proc\/sys" is not an absolute path/);
});

test("zookeeper hides and write-protects the kernel's host-wide files; /sys too in host view", () => {
  const withRoot = buildPlan(zookeeperSpec({ ...base, root: "/fs", proc: true }, id), ctx({ rootMount: "/t" }));
  expect(withRoot).toContainEqual({ op: "readonlyPath", path: "/proc/sys" });
  expect(withRoot).toContainEqual({ op: "maskPath", path: "/proc/kcore" });
  expect(withRoot).not.toContainEqual({ op: "readonlyPath", path: "/sys" });
  const hostView = buildPlan(zookeeperSpec({ ...base }, id), ctx());
  expect(hostView).toContainEqual({ op: "readonlyPath", path: "/sys" });
  expect(hostView).toContainEqual({ op: "readonlyPath", path: "/proc/sysrq-trigger" });
});

test("a rootfs record names the rootfs mount point, so the shim resolves paths below it inside it", () => {
  const steps = buildPlan(zookeeperSpec({ ...base, root: "/fs", proc: true }, id), ctx({ rootMount: "/tmp/zoo.abc" }));
  expect(steps.filter((s) => s.op === "rootfs")).toEqual([{ op: "rootfs", path: "/tmp/zoo.abc" }]);
  expect(buildPlan(zookeeperSpec({ ...base }, id), ctx()).some((s) => s.op === "rootfs")).toBe(false);
});

test("ambient capabilities that are not both permitted and inheritable are left out, as runc does", () => {
  const spec = zookeeperSpec({ ...base }, id);
  const both = ["CAP_KILL", "CAP_CHOWN"];
  spec.process!.capabilities = { bounding: both, effective: both, permitted: both, inheritable: ["CAP_CHOWN"], ambient: both };
  const caps = buildPlan(spec, ctx()).find((s) => s.op === "caps") as Extract<PlanStep, { op: "caps" }>;
  expect(caps.ambient).toBe(capBit("CAP_CHOWN")!);
});

test("timeOffsets: no CLONE_NEWTIME; the child's first op makes the namespace, before the switch to the namespace's root", () => {
  const spec = zookeeperSpec({ ...base }, id);
  spec.linux!.timeOffsets = { boottime: { secs: -5, nanosecs: 7 } };
  const steps = buildPlan(spec, ctx({ becomeNsRoot: true }));
  const clone = steps.find((s) => s.op === "clone") as { flags: bigint };
  expect(clone.flags & CLONE.NEWTIME).toBe(0n);
  const ns = idx(steps, (s) => s.op === "timeNs");
  expect(steps[ns]).toEqual({ op: "timeNs", monotonic: [0n, 0], boottime: [-5n, 7] });
  expect(ns).toBe(idx(steps, (s) => s.op === "options") + 1);
  expect(ns).toBeLessThan(idx(steps, (s) => s.op === "setuid"));
  // Without offsets the namespace comes from clone as before.
  expect(ops(buildPlan(zookeeperSpec({ ...base }, id), ctx()))).not.toContain("timeNs");
});

test("oomScoreAdj is written before the switch to a user namespace's root (its /proc files are then host root's)", () => {
  const spec = zookeeperSpec({ ...base }, id);
  spec.process!.oomScoreAdj = 500;
  const steps = buildPlan(spec, ctx({ becomeNsRoot: true }));
  const oom = idx(steps, (s) => s.op === "writeFile" && s.path === "/proc/self/oom_score_adj");
  expect(oom).toBeGreaterThan(idx(steps, (s) => s.op === "options"));
  expect(oom).toBeLessThan(idx(steps, (s) => s.op === "setuid"));
});

test("noPivot (zoo-runtime --no-pivot): the rootfs moved onto / and chrooted into, no pivot_root", () => {
  const spec = zookeeperSpec({ ...base, root: "/fs", proc: true }, id);
  const steps = buildPlan(spec, ctx({ rootMount: "/tmp/zoo.abc", noPivot: true }));
  expect(ops(steps)).not.toContain("pivotRoot");
  const move = idx(steps, (s) => s.op === "mount" && s.flags === MS.MOVE);
  expect(steps.slice(move - 1, move + 3)).toEqual([
    { op: "chdir", path: "/tmp/zoo.abc" },
    { op: "mount", source: ".", target: "/", fstype: null, flags: MS.MOVE, data: null },
    { op: "chroot", path: "." },
    { op: "chdir", path: "/" },
  ]);
});

test("root.path as the root (launch.ts's choice for a bundle): bound onto itself after / is private, pivoted into", () => {
  const spec = zookeeperSpec({ ...base, root: "/fs", proc: true }, id);
  const steps = buildPlan(spec, ctx({ rootMount: "/fs" }));
  const priv = idx(steps, (s) => s.op === "mount" && s.flags === (MS.REC | MS.PRIVATE));
  const bind = idx(steps, (s) => s.op === "mount" && s.source === "/fs");
  expect(priv).toBeGreaterThan(-1);
  expect(bind).toBeGreaterThan(priv);
  expect(steps[bind]).toEqual({ op: "mount", source: "/fs", target: "/fs", fstype: null, flags: MS.BIND | MS.REC, data: null });
  expect(steps.filter((s) => s.op === "rootfs")).toEqual([{ op: "rootfs", path: "/fs" }]);
  expect(steps).toContainEqual({ op: "mount", source: "proc", target: "/fs/proc", fstype: "proc", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: null });
  const pivot = idx(steps, (s) => s.op === "pivotRoot");
  expect(steps[pivot - 1]).toEqual({ op: "chdir", path: "/fs" });
});
