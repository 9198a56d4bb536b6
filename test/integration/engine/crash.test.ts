// Crash safety: SIGKILL of the monitor, of `zoo run -d` at any point, and of
// `zoo rm`; the next zoo command repairs, and nothing is left behind (the
// scaffold's leak check: cgroups, veths and leases of our containers, temp
// dirs, processes). And 50 `zoo run -d` at once.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { IS_ROOT, ZOO } from "../../helpers/env.ts";
import { useEngineStore } from "./scaffold.ts";

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);

describe.skipIf(!IS_ROOT)("zoo engine crash safety", () => {
  const t = useEngineStore();
  const zoo = (...args: string[]) => t.zoo(args);
  const ok = async (...args: string[]) => {
    const r = await zoo(...args);
    if (r.code !== 0) throw new Error(`zoo ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  /** Starts `zoo ARGS` and SIGKILLs it after `ms`. */
  const killAfter = async (ms: number, ...args: string[]) => {
    const p = Bun.spawn([ZOO, ...args], { env: { ZOO_ROOT: t.store, PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" }, stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(ms);
    p.kill("SIGKILL");
    await p.exited;
    t.seen();
  };

  test("SIGKILL of the monitor: the next command shows the container exited and reclaims everything", async () => {
    const id = (await ok("run", "-d", "busybox", "sleep", "1000")).trim();
    const pid = Number((await ok("inspect", "-f", "{{.State.Pid}}", id)).trim());
    const shim = parentOf(pid);
    expect(readFileSync(`/proc/${shim}/comm`, "utf8").trim()).toBe("zoo-shim");
    process.kill(shim, "SIGKILL");
    await Bun.sleep(200);
    expect((await ok("ps", "-a", "--format", "{{.State}}")).trim()).toBe("exited");
    const doc = JSON.parse(await ok("inspect", id))[0];
    expect(doc.State.ExitCode).toBe(137);
    expect(doc.State.Error).toContain("monitor was gone");
    // Killed: gone, or a zombie where the host's init does not reap (this machine's).
    let stat = "";
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {}
    expect(stat === "" || stat.split(") ")[1]!.startsWith("Z")).toBe(true);
    await ok("rm", id);
  });

  test("SIGKILL of zoo run -d at any moment: ps -a and container prune leave nothing", async () => {
    // Dense where a warm start makes its cgroups, mount point and monitor (50-150 ms here).
    for (const ms of [30, 50, 60, 70, 75, 80, 85, 90, 100, 110, 120, 150, 250, 400, 600, 900]) await killAfter(ms, "run", "-d", "busybox", "sleep", "1000");
    // Every container is either running under its monitor or repaired to a state that can be removed.
    const states = (await ok("ps", "-a", "--format", "{{.State}}")).trim().split("\n").filter(Boolean);
    for (const s of states) expect(["created", "running", "exited"]).toContain(s);
    await ok("container", "prune", "-f");
    const running = (await ok("ps", "-q")).trim().split("\n").filter(Boolean);
    if (running.length) await ok("rm", "-f", ...running);
    expect(await ok("ps", "-a", "-q")).toBe("");
  });

  test("SIGKILL of zoo stop and zoo rm -f halfway: the next commands finish the job", async () => {
    const a = (await ok("run", "-d", "busybox", "sleep", "1000")).trim();
    const b = (await ok("run", "-d", "busybox", "sleep", "1000")).trim();
    await killAfter(400, "stop", "-t", "1", a);
    await killAfter(150, "rm", "-f", b);
    await ok("ps", "-a");
    const left = (await ok("ps", "-a", "-q", "--no-trunc")).trim().split("\n").filter(Boolean);
    if (left.length) await ok("rm", "-f", ...left);
    expect(await ok("ps", "-a", "-q")).toBe("");
  });

  test("50 zoo run -d at once: all succeed, with distinct names and addresses", async () => {
    const runs = await Promise.all(Array.from({ length: 50 }, () => zoo("run", "-d", "busybox", "sleep", "1000")));
    for (const r of runs) {
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    }
    const names = (await ok("ps", "--format", "{{.Names}}")).trim().split("\n");
    expect(names).toHaveLength(50);
    expect(new Set(names).size).toBe(50);
    const ids = runs.map((r) => r.stdout.trim());
    const ips = (await ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", ...ids)).trim().split("\n");
    expect(ips).toHaveLength(50);
    expect(new Set(ips).size).toBe(50);
    await ok("rm", "-f", ...ids);
  }, 300_000);
});
