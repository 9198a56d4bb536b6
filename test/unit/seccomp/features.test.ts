import { expect, test } from "bun:test";
import { features } from "../../../src/oci/features.ts";
import { compileSeccomp } from "../../../src/seccomp/compile.ts";
import type { LinuxSeccomp } from "../../../src/seccomp/types.ts";

// What `zoo-runtime features` advertises is what the compiler takes: every
// action and operator compiles (listenerPath aside, NOTIFY needs no more).
test("features' seccomp actions and operators are the compiler's", () => {
  const sc = features().linux!.seccomp!;
  expect(sc.actions).toContain("SCMP_ACT_NOTIFY");
  for (const action of sc.actions!) {
    const p = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getppid"], action }] } as LinuxSeccomp;
    expect(() => compileSeccomp(p, { arch: "x86_64" })).not.toThrow();
  }
  for (const op of sc.operators!) {
    const p = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getppid"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op }] }] } as LinuxSeccomp;
    expect(() => compileSeccomp(p, { arch: "x86_64" })).not.toThrow();
  }
  expect(() => compileSeccomp({ defaultAction: "SCMP_ACT_FLY" } as never, { arch: "x86_64" })).toThrow();
});
