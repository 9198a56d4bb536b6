// `zoo run` security flags, checked from inside real containers.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureTestUser, IS_ROOT, run, useTempStore, ZOO } from "../../helpers/env.ts";

const capLine = (out: string, key: string) => BigInt(`0x${new RegExp(`^${key}:\\s*([0-9a-f]+)$`, "m").exec(out)![1]}`);
const bit = (n: number) => 1n << BigInt(n);
const CAP = { CHOWN: 0, NET_RAW: 13, NET_ADMIN: 12, SYS_ADMIN: 21, SYS_PTRACE: 19, MKNOD: 27 };

describe.skipIf(!IS_ROOT)("zoo run security", () => {
  const t = useTempStore();
  const zoo = (args: string[]) => t.zoo(["run", "--rm", ...args]);
  const status = async (flags: string[]) => {
    const r = await zoo([...flags, "busybox", "cat", "/proc/self/status"]);
    expect(r.stderr).toBe("");
    return r.stdout;
  };

  test("default: Docker's 14 capabilities, the default filter, masked and read-only /proc paths, /sys ro", async () => {
    const s = await status([]);
    expect(capLine(s, "CapEff")).toBe(0xa80425fbn); // Docker's default set
    expect(capLine(s, "CapBnd")).toBe(0xa80425fbn);
    expect(s).toMatch(/^Seccomp:\s+2$/m);
    expect(s).toMatch(/^NoNewPrivs:\s+0$/m);
    const r = await zoo(["busybox", "sh", "-c", "cat /proc/self/mountinfo; touch /sys/x 2>&1; hostname new 2>&1; echo done"]);
    const mounts = r.stdout.split("\n").map((l) => l.split(" "));
    const opts = (p: string) => mounts.find((m) => m[4] === p)?.[5];
    for (const p of ["/proc/sys", "/proc/irq", "/proc/bus", "/proc/fs"]) expect([p, opts(p)]).toEqual([p, expect.stringMatching(/^ro,nosuid,nodev,noexec/)]);
    for (const p of ["/proc/acpi", "/sys/firmware", "/proc/timer_list", "/proc/keys"]) expect([p, opts(p)]).toEqual([p, expect.stringMatching(/^ro|^rw/)]);
    expect(r.stdout).toMatch(/Read-only file system/); // /sys
    expect(r.stdout).toMatch(/hostname: sethostname: Operation not permitted/); // no CAP_SYS_ADMIN
    expect(r.stdout).toMatch(/done\n$/);
  });

  test("--cap-add / --cap-drop: prefix and case optional, ALL, repeatable", async () => {
    const s = await status(["--cap-add", "sys_ptrace", "--cap-add=CAP_NET_ADMIN", "--cap-drop", "Net_Raw", "--cap-drop", "CAP_MKNOD"]);
    const eff = capLine(s, "CapEff");
    expect(eff & bit(CAP.SYS_PTRACE)).not.toBe(0n);
    expect(eff & bit(CAP.NET_ADMIN)).not.toBe(0n);
    expect(eff & bit(CAP.NET_RAW)).toBe(0n);
    expect(eff & bit(CAP.MKNOD)).toBe(0n);
    expect(capLine(await status(["--cap-drop", "ALL", "--cap-add", "chown"]), "CapEff")).toBe(bit(CAP.CHOWN));
    const bad = await zoo(["--cap-add", "FLY", "busybox", "true"]);
    expect(bad.stderr).toMatch(/--cap-add "FLY": unknown capability/);
    expect(bad.code).toBe(125);
  });

  test("the filter follows the capabilities: CAP_SYS_ADMIN unlocks mount and unshare", async () => {
    const cmd = ["busybox", "sh", "-c", "mkdir -p /m && mount -t tmpfs t /m && echo mounted; unshare -U true && echo unshared"];
    const without = await zoo(cmd);
    expect(without.stdout).toBe("");
    expect(without.stderr).toMatch(/mount: permission denied|Operation not permitted/);
    const withAdmin = await zoo(["--cap-add", "SYS_ADMIN", ...cmd]);
    expect(withAdmin.stdout).toBe("mounted\nunshared\n");
  });

  test("--security-opt no-new-privileges and seccomp=unconfined", async () => {
    expect(await status(["--security-opt", "no-new-privileges"])).toMatch(/^NoNewPrivs:\s+1$/m);
    const s = await status(["--security-opt", "seccomp=unconfined"]);
    expect(s).toMatch(/^Seccomp:\s+0$/m);
  });

  test("--security-opt seccomp=FILE: a Docker-format profile, gates resolved; bad files name the field", async () => {
    const dir = mkdtempSync("/var/tmp/zoo-test-profile-");
    const good = join(dir, "p.json");
    writeFileSync(good, JSON.stringify({
      defaultAction: "SCMP_ACT_ALLOW",
      archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86"] }],
      syscalls: [
        { names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13, comment: "EACCES for mkdir" },
        { names: ["getcwd"], action: "SCMP_ACT_ERRNO", includes: { caps: ["CAP_SYS_ADMIN"] } },
      ],
    }));
    const r = await zoo(["--security-opt", `seccomp=${good}`, "busybox", "sh", "-c", "mkdir /x; pwd"]);
    expect(r.stderr).toMatch(/mkdir: can't create directory '\/x': Permission denied/);
    expect(r.stdout).toBe("/\n"); // the CAP_SYS_ADMIN-gated rule is not in the filter
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_NOPE" }] }));
    const e = await zoo(["--security-opt", `seccomp=${bad}`, "busybox", "true"]);
    expect(e.stderr).toMatch(/seccomp=.*bad.json: syscalls\[0\]\.action: unknown seccomp action/);
    expect(e.stderr.trim().split("\n")).toHaveLength(1);
    expect(e.code).toBe(125);
    rmSync(dir, { recursive: true, force: true });
  });

  test("--privileged: all of zoo's capabilities, no filter, no masks, /sys writable", async () => {
    const own = capLine(await Bun.file("/proc/self/status").text(), "CapBnd");
    const s = await status(["--privileged"]);
    expect(capLine(s, "CapEff")).toBe(own);
    expect(s).toMatch(/^Seccomp:\s+0$/m);
    const r = await zoo(["--privileged", "busybox", "sh", "-c", "grep -c -E ' /proc/(sys|acpi|timer_list) ' /proc/self/mountinfo; grep ' /sys ' /proc/self/mountinfo"]);
    expect(r.stdout).toMatch(/^0\n.* \/sys rw,/);
  });

  test("rootless: the same defaults inside the user namespace", async () => {
    const user = ensureTestUser();
    const r = await run([ZOO, "run", "--rm", "--network", "none", "busybox", "sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status; grep ' /proc/sys ' /proc/self/mountinfo | cut -d' ' -f6"], { asUser: user });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^CapEff:\s+00000000a80425fb\nSeccomp:\s+2\nro,nosuid,nodev,noexec/);
    rmSync(join(user.home, ".local/share/zoo"), { recursive: true, force: true });
  });
});
