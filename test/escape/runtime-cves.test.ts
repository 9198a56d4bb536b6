// Regression tests that attack zoo-runtime the way three runc CVEs did, with
// the runc-style default config. Each would pass its attack to the host if
// the defence it names were taken out (checked by hand against a build
// without it; see docs/design/security.md).
import { describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DIST, IS_ROOT, makeRootfs, run } from "../helpers/env.ts";
import { RUNTIME, useRuntimeSuite } from "../helpers/zoo-runtime.ts";
import { attackBinary } from "./attack-binary.ts";

const SHIM = join(DIST, "zoo-shim");

describe.skipIf(!IS_ROOT)("known runtime escapes against zoo-runtime", () => {
  const t = useRuntimeSuite();
  const mark = `zoo-cve-${process.pid}-${Date.now()}`;

  test("CVE-2021-30465 class: mount targets through the image's symlinks stay inside the rootfs", async () => {
    const fs = makeRootfs();
    symlinkSync("/", join(fs, "abs"));
    symlinkSync("../../../../../../../../..", join(fs, "rel"));
    const src = join(t.work, "bind-source");
    writeFileSync(src, "bound\n");
    const host = [`/var/tmp/${mark}-a`, `/var/tmp/${mark}-b`, `/var/tmp/${mark}-file`];
    const show = host.map((p) => `grep -c ' ${p} ' /proc/self/mountinfo`).join("; ");
    const dir = t.bundle(["sh", "-c", `${show}; cat /var/tmp/${mark}-file`], (s) => {
      s.root = { path: fs, readonly: false };
      s.mounts!.push(
        { destination: `/abs/var/tmp/${mark}-a`, type: "tmpfs", source: "tmpfs" },
        { destination: `/rel/var/tmp/${mark}-b`, type: "tmpfs", source: "tmpfs" },
        { destination: `/abs/var/tmp/${mark}-file`, type: "bind", source: src, options: ["bind", "ro"] },
      );
    });
    try {
      const r = await t.rt(["run", "--bundle", dir, "cve-30465"]);
      // Nothing was made on the host: no directory, no file to bind over.
      expect(host.filter((p) => existsSync(p))).toEqual([]);
      // The mounts are where the symlinks point when the rootfs is "/".
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: "1\n1\n1\nbound\n", stderr: "" });
      expect(existsSync(join(fs, `var/tmp/${mark}-a`))).toBe(true);
    } finally {
      for (const p of host) rmSync(p, { recursive: true, force: true });
    }
  });

  // The leaked fd here is one the caller hands over on purpose (--preserve-fds):
  // a host directory, which is what runc leaked by mistake.
  const withHostDirFd = (hostDir: string, argv: string[]) =>
    run(["bash", "-c", `exec 3<"$0" && exec "$@"`, hostDir, RUNTIME, "--root", t.root, ...argv]);

  test("CVE-2024-21626 class: process.cwd through a host directory fd is refused", async () => {
    const hostDir = join(t.work, "host-dir");
    mkdirSync(hostDir);
    const dir = t.bundle(["sh", "-c", "echo escaped; ls"], (s) => {
      s.process!.cwd = "/proc/self/fd/3";
    });
    const r = await withHostDirFd(hostDir, ["run", "--preserve-fds", "1", "--bundle", dir, "cve-21626"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("zoo-runtime: chdir /proc/self/fd/3: the directory is outside the container's root filesystem\n");
    expect(r.code).toBe(1);
  });

  test("CVE-2024-21626 class: no fd of the runtime is left for a cwd to go through", async () => {
    // Whatever the runtime holds while it sets the process up: the cwd
    // either fails or lands inside the rootfs.
    const check = 'c=$(readlink /proc/self/cwd); [ "$(stat -Lc %d:%i /proc/self/cwd)" = "$(stat -c %d:%i "$c")" ] && echo "INSIDE $c" || echo "OUTSIDE $c"';
    const outcomes: string[] = [];
    for (let fd = 3; fd <= 12; fd++) {
      const dir = t.bundle(["sh", "-c", check], (s) => {
        s.process!.cwd = `/proc/self/fd/${fd}`;
      });
      const r = await t.rt(["run", "--bundle", dir, `cve-21626-${fd}`]);
      if (r.code === 0) {
        expect(r.stdout).toStartWith("INSIDE ");
        outcomes.push(`${fd}: ${r.stdout.trim()}`);
      } else {
        expect(r.stderr).toMatch(/^zoo-runtime: chdir \/proc\/self\/fd\/\d+: .+\n$/);
        expect(r.stdout).toBe("");
        outcomes.push(`${fd}: ${r.stderr.trim().replace(/^.*: /, "")}`);
      }
    }
    expect(outcomes.filter((o) => o.includes("OUTSIDE"))).toEqual([]);
  });

  test("CVE-2024-21626 class: exec --cwd through a host directory fd is refused", async () => {
    const hostDir = join(t.work, "host-dir-exec");
    mkdirSync(hostDir);
    const dir = t.bundle(["sleep", "30"]);
    expect((await t.detached(["run", "-d", "--bundle", dir, "cve-21626-exec"])).code).toBe(0);
    const r = await withHostDirFd(hostDir, ["exec", "--preserve-fds", "1", "--cwd", "/proc/self/fd/3", "cve-21626-exec", "sh", "-c", "echo escaped"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("zoo-runtime: chdir /proc/self/fd/3: the directory is outside the container's root filesystem\n");
    expect(r.code).not.toBe(0);
  });

  test("CVE-2019-5736 class: the runtime's binary cannot be reached through /proc/<pid>/exe", async () => {
    // The container watches its processes while we make the runtime run
    // inside it: an exec of a script whose interpreter is #!/proc/self/exe
    // executes whatever binary execs it, i.e. the shim.
    const fs = makeRootfs();
    cpSync(attackBinary(), join(fs, "attack"));
    writeFileSync(join(fs, "evil"), "#!/proc/self/exe\n");
    chmodSync(join(fs, "evil"), 0o755);
    const st = statSync(SHIM);
    const seconds = 20;
    const dir = t.bundle(["/attack", "exe", `${st.dev}:${st.ino}`, String(seconds)], (s) => {
      s.root = { path: fs, readonly: false };
    });
    const d = await t.detached(["run", "-d", "--bundle", dir, "cve-5736"]);
    expect(d.code).toBe(0);
    // Until the attacker has caught a shim and given up (it stops one second later).
    const running = async () => JSON.parse((await t.rt(["state", "cve-5736"])).stdout || "{}").status === "running";
    let execs = 0;
    while (await running()) {
      const r = await t.rt(["exec", "cve-5736", "/evil"]);
      // The shim, started with the script's arguments, refuses to run (or the container is gone).
      expect(r.code).not.toBe(0);
      execs++;
    }
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "cve-5736"])).stdout || "{}").status === "stopped", "the attacker to finish");
    const out = readFileSync(d.log, "utf8");
    console.log(`CVE-2019-5736 attack, ${execs} execs of #!/proc/self/exe:\n${out}`);
    // The control: the attacker did catch the shim running in the container...
    expect(out).toMatch(/^caught=[1-9]\d* \/memfd:zoo-shim/m);
    // ...but what it caught was the sealed copy, never the file on the host.
    expect(out).toContain("host_binary=NONE\n");
    expect(out).not.toContain("exe_write=ok");
    expect(readFileSync(SHIM).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  }, 60_000);
});
