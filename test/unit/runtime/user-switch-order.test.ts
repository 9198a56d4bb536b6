// Where the seccomp filter and the working directory go when the process
// switches to a non-root user (zoo run -u): the filter before the switch
// (loading it without no_new_privs needs CAP_SYS_ADMIN, which the switch
// clears from the effective set), the cwd made after pivot_root.
import { expect, test } from "bun:test";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import type { Spec } from "../../../src/oci/spec.ts";
import { buildPlan, type BuildContext } from "../../../src/runtime/plan-builder.ts";

const ctx = (over: Partial<BuildContext> = {}): BuildContext => ({
  rootMount: "/tmp/zoo.x", cgroupFd: null, seccomp: { program: new Uint8Array(8), flags: 0 }, gidMapped: () => true, setgroupsAllowed: true, foreground: true, ...over,
});
const spec = (uid: number, nnp: boolean): Spec => {
  const s: Spec = { ...defaultSpec({ rootless: false, uid: 0, gid: 0 }), root: { path: "/fs" } };
  s.process!.user = { uid, gid: uid };
  s.process!.noNewPrivileges = nnp;
  s.process!.cwd = "/srv/app";
  return s;
};
const at = (steps: { op: string }[], op: string) => steps.findIndex((s) => s.op === op);

test("non-root without no_new_privs: the filter is loaded before setgroups/setgid/setuid", () => {
  const steps = buildPlan(spec(1000, false), ctx());
  expect(steps.filter((s) => s.op === "seccomp")).toHaveLength(1);
  expect(at(steps, "seccomp")).toBeLessThan(at(steps, "setgroups"));
  expect(at(steps, "seccomp")).toBeLessThan(at(steps, "setuid"));
});

test("root, or no_new_privs: the filter stays last (after capabilities or no_new_privs)", () => {
  const root = buildPlan(spec(0, false), ctx());
  expect(at(root, "seccomp")).toBeGreaterThan(at(root, "umask"));
  const nnp = buildPlan(spec(1000, true), ctx());
  expect(at(nnp, "seccomp")).toBeGreaterThan(at(nnp, "noNewPrivs"));
});

test("the working directory is made after pivot_root and before a read-only remount", () => {
  const s = spec(1000, false);
  s.root = { path: "/fs", readonly: true };
  const steps = buildPlan(s, ctx());
  const mk = steps.findIndex((x) => x.op === "mkdir" && (x as { path: string }).path === "/srv/app");
  expect(mk).toBeGreaterThan(at(steps, "pivotRoot"));
  const remount = steps.findIndex((x, i) => i > mk && x.op === "mount");
  expect(remount).toBeGreaterThan(mk);
  expect(at(steps, "chdir")).toBeLessThan(mk); // chdir "/" after pivot_root
});
