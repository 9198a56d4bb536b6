// What zoo-runtime adds to the plan: the start wait last before exec, the
// preserved fd range, and the switch to the user namespace's root first.
import { expect, test } from "bun:test";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import { buildPlan, type BuildContext } from "../../../src/runtime/plan-builder.ts";

const ctx = (over: Partial<BuildContext> = {}): BuildContext => ({
  rootMount: "/tmp/zoo.x", cgroupFd: null, seccomp: null, gidMapped: () => true, setgroupsAllowed: true, foreground: false, ...over,
});
const spec = () => ({ ...defaultSpec({ rootless: false, uid: 0, gid: 0 }), root: { path: "/fs" } });

test("waitStart comes right before exec, after every step that can fail", () => {
  const steps = buildPlan(spec(), ctx({ waitStart: "/proc/self/fd/7" }));
  expect(steps.slice(-2).map((s) => s.op)).toEqual(["waitStart", "exec"]);
  expect(steps.at(-2)).toEqual({ op: "waitStart", fifo: "/proc/self/fd/7" });
  expect(buildPlan(spec(), ctx()).some((s) => s.op === "waitStart")).toBe(false);
});

test("--preserve-fds reaches closeFds", () => {
  expect(buildPlan(spec(), ctx({ preserveFds: 2 })).find((s) => s.op === "closeFds")).toEqual({ op: "closeFds", preserve: 2 });
  expect(buildPlan(spec(), ctx()).find((s) => s.op === "closeFds")).toEqual({ op: "closeFds", preserve: 0 });
});

test("becomeNsRoot: setgid 0 and setuid 0 before the first mount", () => {
  const steps = buildPlan(spec(), ctx({ becomeNsRoot: true }));
  const firstMount = steps.findIndex((s) => s.op === "mount");
  const gid = steps.findIndex((s) => s.op === "setgid");
  const uid = steps.findIndex((s) => s.op === "setuid");
  expect(steps[gid]).toEqual({ op: "setgid", gid: 0 });
  expect(steps[uid]).toEqual({ op: "setuid", uid: 0 });
  expect(gid).toBeLessThan(uid);
  expect(uid).toBeLessThan(firstMount);
  expect(buildPlan(spec(), ctx()).some((s) => s.op === "setuid")).toBe(false);
});

test("RLIM_INFINITY from JSON (2^64-1, parsed as 2^64) stays infinity instead of wrapping to 0", () => {
  const s = spec();
  s.process!.rlimits = [{ type: "RLIMIT_CORE", soft: JSON.parse("18446744073709551615"), hard: JSON.parse("18446744073709551615") }];
  expect(buildPlan(s, ctx()).find((x) => x.op === "rlimit")).toEqual({ op: "rlimit", resource: 4, soft: (1n << 64n) - 1n, hard: (1n << 64n) - 1n });
});
