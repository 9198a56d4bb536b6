// Where the TTY op and the hooks checkpoint sit in the plan: the order is the
// argument (the container's devpts, before capabilities and seccomp).
import { expect, test } from "bun:test";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import { buildPlan, type BuildContext } from "../../../src/runtime/plan-builder.ts";

const ctx = (over: Partial<BuildContext> = {}): BuildContext => ({
  rootMount: "/tmp/zoo.x", cgroupFd: null, seccomp: { program: new Uint8Array(8), flags: 0 }, gidMapped: () => true, setgroupsAllowed: true, foreground: false, ...over,
});
const spec = (uid = 1000) => {
  const s = { ...defaultSpec({ rootless: false, uid: 0, gid: 0 }), root: { path: "/fs" } };
  s.process!.user = { uid, gid: uid };
  return s;
};
const at = (steps: { op: string }[], op: string) => steps.findIndex((s) => s.op === op);

for (const noNewPrivileges of [true, false]) {
  test(`tty: after pivot_root and the uid switch, before capabilities and seccomp (noNewPrivileges ${noNewPrivileges})`, () => {
    const s = spec();
    s.process!.noNewPrivileges = noNewPrivileges;
    s.process!.consoleSize = { height: 30, width: 100 };
    const steps = buildPlan(s, ctx({ consoleSocketFd: 9 }));
    const tty = at(steps, "tty");
    expect(steps[tty]).toEqual({ op: "tty", socketFd: 9, rows: 30, cols: 100 });
    expect(tty).toBeGreaterThan(at(steps, "pivotRoot"));
    expect(tty).toBeGreaterThan(at(steps, "setuid"));
    expect(tty).toBeLessThan(at(steps, "caps"));
    expect(tty).toBeLessThan(at(steps, "seccomp"));
  });
}

test("no console socket, no tty op; no consoleSize, size left to the kernel", () => {
  expect(at(buildPlan(spec(), ctx()), "tty")).toBe(-1);
  expect(buildPlan(spec(), ctx({ consoleSocketFd: 5 })).find((s) => s.op === "tty")).toEqual({ op: "tty", socketFd: 5, rows: 0, cols: 0 });
});

test("hooks checkpoint: after every mount and device, right before pivot_root", () => {
  const steps = buildPlan(spec(), ctx({ hooksCheckpoint: "/run/zoo-runtime/c1/hooks.fifo", waitStart: "/proc/self/fd/7" }));
  const waits = steps.map((s, i) => [s, i] as const).filter(([s]) => s.op === "waitStart");
  expect(waits.map(([s]) => s)).toEqual([
    { op: "waitStart", fifo: "/run/zoo-runtime/c1/hooks.fifo" },
    { op: "waitStart", fifo: "/proc/self/fd/7" },
  ]);
  const checkpoint = waits[0]![1];
  const pivot = at(steps, "pivotRoot");
  const lastMount = Math.max(...steps.map((s, i) => (i < pivot && ["mount", "device", "symlink"].includes(s.op) ? i : -1)));
  expect(checkpoint).toBeGreaterThan(lastMount);
  expect(steps[checkpoint + 1]).toEqual({ op: "chdir", path: "/tmp/zoo.x" });
  expect(steps[checkpoint + 2]!.op).toBe("pivotRoot");
});

test("rootfsPropagation is applied to the new / after pivot_root (before, a shared one would reach the host's tree)", () => {
  const s = spec();
  s.linux!.rootfsPropagation = "rshared";
  const steps = buildPlan(s, ctx());
  const i = steps.findIndex((x) => x.op === "mount" && (x as { target: string }).target === "/" && (x as { flags: bigint }).flags === (0x100000n | 0x4000n));
  expect(i).toBeGreaterThan(at(steps, "pivotRoot"));
  // rprivate is what the namespace already has: nothing more.
  s.linux!.rootfsPropagation = "rprivate";
  expect(buildPlan(s, ctx()).filter((x) => x.op === "mount" && (x as { target: string }).target === "/").length).toBe(1);
});

test("oomScoreAdj is written first (through the host's /proc, while the child owns its /proc files), before the uid switch and the capability drop", () => {
  const s = spec();
  s.process!.oomScoreAdj = 300;
  const steps = buildPlan(s, ctx());
  const i = steps.findIndex((x) => x.op === "writeFile" && (x as { path: string }).path === "/proc/self/oom_score_adj");
  expect(new TextDecoder().decode((steps[i] as { content: Uint8Array }).content)).toBe("300");
  expect(i).toBe(at(steps, "options") + 1);
  expect(i).toBeLessThan(at(steps, "setuid"));
  expect(i).toBeLessThan(at(steps, "caps"));
});
