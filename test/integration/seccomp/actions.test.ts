// Every seccomp action, loaded by the shim for a real container (zoo-runtime)
// and hit by busybox sh, which asks getppid() for $PPID as it starts. The
// compiler's unit tests check the returned values; this checks what the
// kernel then does with them. (SCMP_ACT_NOTIFY: notify.test.ts.)
import { describe, expect, test } from "bun:test";
import { IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("seccomp actions in a container (zoo-runtime)", () => {
  const t = useRuntimeSuite();
  const cases: [action: string, extra: Record<string, unknown>, want: { code?: number; signal?: string; stdout?: string }][] = [
    ["SCMP_ACT_ALLOW", {}, { code: 0, stdout: "ppid=0\n" }], // pid 1 of its namespace: no parent inside
    ["SCMP_ACT_LOG", {}, { code: 0, stdout: "ppid=0\n" }],
    // getppid "cannot fail", so libc hands back the raw -errno: -5 (EIO) as unsigned.
    ["SCMP_ACT_ERRNO", { errnoRet: 5 }, { code: 0, stdout: `ppid=${2 ** 32 - 5}\n` }],
    // No tracer attached: the kernel skips the call with ENOSYS (38).
    ["SCMP_ACT_TRACE", {}, { code: 0, stdout: `ppid=${2 ** 32 - 38}\n` }],
    ["SCMP_ACT_TRAP", {}, { signal: "SIGSYS" }],
    ["SCMP_ACT_KILL_THREAD", {}, { signal: "SIGSYS" }],
    ["SCMP_ACT_KILL_PROCESS", {}, { signal: "SIGSYS" }],
  ];
  test("syscall args conditions and filter flags: only kill(_, 0) is refused", async () => {
    const dir = t.bundle(["sh", "-c", "kill -0 $$ 2>&1; echo $?; kill -CONT $$; echo $?"], (s) => {
      s.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        flags: ["SECCOMP_FILTER_FLAG_LOG"],
        syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{ index: 1, value: 0, op: "SCMP_CMP_EQ" }] }],
      } as never;
    });
    const r = await t.rt(["run", "--bundle", dir, `action-${process.pid}-args`]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: "sh: can't kill pid 1: Operation not permitted\n1\n0\n", stderr: "" });
  });

  let n = 0;
  for (const [action, extra, want] of cases) {
    test(action, async () => {
      const dir = t.bundle(["sh", "-c", "echo ppid=$PPID"], (s) => {
        s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getppid"], action, ...extra }] } as never;
      });
      const r = await t.rt(["run", "--bundle", dir, `action-${process.pid}-${++n}`]);
      if (want.signal) {
        // As runc: a signal death is exit status 128 + the signal (SIGSYS is 31).
        expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 128 + 31, stdout: "" });
      } else {
        expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: want.code!, stdout: want.stdout!, stderr: "" });
      }
    });
  }
});
