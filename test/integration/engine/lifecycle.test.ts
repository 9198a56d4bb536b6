// The daemonless engine's container lifecycle against the built-in busybox:
// run -d under a zoo-shim monitor, ps/inspect/logs/wait, stop (both paths),
// kill, rm -f, exec, restart policies, log rotation. Every test removes its
// containers, and the suite's leak check sees no mount, cgroup, temp dir,
// veth or lease left.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureTestUser, IS_ROOT, run, ZOO } from "../../helpers/env.ts";
import { useEngineStore } from "./scaffold.ts";

// Names on a bridge network are host-wide (other stores, other test runs): ours carry a suffix.
const N = `t${process.pid}-`;

describe.skipIf(!IS_ROOT)("zoo engine lifecycle", () => {
  const t = useEngineStore();
  const zoo = (...args: string[]) => t.zoo(args);
  const ok = async (...args: string[]) => {
    const r = await zoo(...args);
    if (r.code !== 0) throw new Error(`zoo ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const until = async (what: string, fn: () => Promise<boolean>, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(100);
    }
  };
  const status = async (c: string) => (await ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", c)).trim();

  test("run -d leaves the container running under its monitor; ps, inspect, logs, stop, rm", async () => {
    const id = (await ok("run", "-d", "--name", `${N}web`, "busybox", "sh", "-c", "echo hello; echo oops >&2; trap 'echo bye; exit 0' TERM; while :; do sleep 0.1; done")).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await ok("ps");
    expect(ps).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    expect(ps).toContain(`${id.slice(0, 12)}   busybox`);
    expect(ps).toMatch(new RegExp(`Up (Less than a second|\\d+ seconds?)\\s+${N}web\n`));
    expect(await ok("ps", "-q")).toBe(`${id.slice(0, 12)}\n`);
    expect(await ok("ps", "--format", "{{.Names}}:{{.State}}")).toBe(`${N}web:running\n`);

    const doc = JSON.parse(await ok("inspect", `${N}web`))[0];
    expect(doc.Id).toBe(id);
    expect(doc.Name).toBe(`/${N}web`);
    expect(doc.State.Running).toBe(true);
    expect(doc.State.Pid).toBeGreaterThan(1);
    // The container's init is the monitor's child, and the monitor is zoo-shim in a session of its own.
    const ppid = Number(readFileSync(`/proc/${doc.State.Pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    expect(readFileSync(`/proc/${ppid}/comm`, "utf8").trim()).toBe("zoo-shim");
    expect(doc.NetworkSettings.IPAddress).toMatch(/^10\.\d+\.\d+\.\d+$/);
    // Prefix lookup.
    expect((await ok("inspect", "-f", "{{.Name}}", id.slice(0, 5))).trim()).toBe(`/${N}web`);

    await until("output in the log", async () => (await zoo("logs", `${N}web`)).stdout === "hello\n");
    const logs = await zoo("logs", `${N}web`);
    expect(logs.stderr).toBe("oops\n");
    expect((await ok("logs", "-t", `${N}web`))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z hello\n$/);

    // The trap answers SIGTERM: stop returns well before its timeout.
    const t0 = Date.now();
    expect(await ok("stop", "-t", "20", `${N}web`)).toBe(`${N}web\n`);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await status(`${N}web`)).toBe("exited 0 0");
    expect(await ok("logs", `${N}web`)).toBe("hello\nbye\n");
    expect(await ok("ps", "-a", "--format", "{{.Names}} {{.Status}}")).toMatch(new RegExp(`^${N}web Exited \\(0\\) .* ago\n$`));
    expect(await ok("ps", "-q")).toBe("");
    expect(await ok("rm", `${N}web`)).toBe(`${N}web\n`);
    expect(await ok("ps", "-a", "-q")).toBe("");
  });

  test("stop's timeout path: a PID 1 without a TERM handler is SIGKILLed after -t", async () => {
    await ok("run", "-d", "--name", `${N}stubborn`, "busybox", "sleep", "1000");
    const t0 = Date.now();
    await ok("stop", "-t", "1", `${N}stubborn`);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(await status(`${N}stubborn`)).toBe("exited 137 0");
    await ok("rm", `${N}stubborn`);
    // --stop-signal replaces SIGTERM.
    await ok("run", "-d", "--name", `${N}usr1`, "--stop-signal", "USR1", "busybox", "sh", "-c", "trap 'exit 9' USR1; while :; do sleep 0.1; done");
    await Bun.sleep(300);
    await ok("stop", "-t", "20", `${N}usr1`);
    expect(await status(`${N}usr1`)).toBe("exited 9 0");
    await ok("rm", `${N}usr1`);
  });

  test("wait, kill -s, rm refuses a running container, rm -f does not", async () => {
    await ok("run", "-d", "--name", `${N}w`, "busybox", "sh", "-c", "sleep 0.5; exit 7");
    expect(await ok("wait", `${N}w`)).toBe("7\n");
    await ok("rm", `${N}w`);

    await ok("run", "-d", "--name", `${N}k`, "busybox", "sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.1; done");
    await Bun.sleep(300);
    await ok("kill", "-s", "USR1", `${N}k`);
    expect(await ok("wait", `${N}k`)).toBe("42\n");
    const again = await zoo("kill", `${N}k`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is not running");
    await ok("start", `${N}k`);
    const rm = await zoo("rm", `${N}k`);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain("stop the container before removing or force remove");
    expect(await ok("rm", "-f", `${N}k`)).toBe(`${N}k\n`);
    const gone = await zoo("inspect", `${N}k`);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No such container: ${N}k`);
  });

  test("exec joins the container: its PID namespace, hostname, mounts, network, env; -e -w -u -d; exit code", async () => {
    await ok("run", "-d", "--name", `${N}ex`, "-h", "box", "-e", "FROM_RUN=1", "busybox", "sh", "-c", "echo marker > /tmp/m; sleep 1000");
    await until("the marker", async () => (await zoo("exec", `${N}ex`, "cat", "/tmp/m")).stdout === "marker\n");
    const r = await ok("exec", `${N}ex`, "sh", "-c", "hostname; echo $FROM_RUN; cat /proc/1/cmdline | tr '\\0' ' '; echo; ip -o -4 addr show eth0 | wc -l; echo $$");
    const [host, env, init, eth0, pid] = r.trim().split("\n");
    expect(host).toBe("box");
    expect(env).toBe("1");
    // sh execs its last command: the container's PID 1 is sleep.
    expect(init!.trim()).toBe("sleep 1000");
    expect(eth0).toBe("1");
    expect(Number(pid)).toBeGreaterThan(1);
    expect(await ok("exec", "-e", "A=b", "-w", "/tmp", `${N}ex`, "sh", "-c", "echo $A $(pwd)")).toBe("b /tmp\n");
    expect(await ok("exec", "-u", "1000:1000", `${N}ex`, "id")).toMatch(/^uid=1000 gid=1000( groups=1000)?\n$/);
    expect(await ok("exec", "-u", "nobody", `${N}ex`, "id", "-un")).toBe("nobody\n");
    expect((await zoo("exec", `${N}ex`, "sh", "-c", "exit 9")).code).toBe(9);
    expect(await ok("exec", "-d", `${N}ex`, "sh", "-c", "sleep 0.2; echo late > /tmp/late")).toBe("");
    await until("the detached exec", async () => (await zoo("exec", `${N}ex`, "cat", "/tmp/late")).stdout === "late\n");
    const missing = await zoo("exec", `${N}ex`, "no-such-command");
    expect(missing.code).toBe(127);
    await ok("stop", "-t", "0", `${N}ex`);
    const stopped = await zoo("exec", `${N}ex`, "true");
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("is not running");
    await ok("rm", `${N}ex`);
  });

  test("logs -f follows a running container and ends with it; --tail; --since", async () => {
    await ok("run", "-d", "--name", `${N}lf`, "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done");
    const f = await zoo("logs", "-f", `${N}lf`);
    expect(f.stdout).toBe("line 1\nline 2\nline 3\nline 4\nline 5\n");
    expect(await ok("logs", "--tail", "2", `${N}lf`)).toBe("line 4\nline 5\n");
    expect(await ok("logs", "-n", "0", `${N}lf`)).toBe("");
    expect(await ok("logs", "--since", "2000-01-01T00:00:00Z", `${N}lf`)).toBe("line 1\nline 2\nline 3\nline 4\nline 5\n");
    expect(await ok("logs", "--since", "1h", "--until", "2000-01-01T00:00:00Z", `${N}lf`)).toBe("");
    await ok("rm", `${N}lf`);
  });

  test("log rotation by size (--log-opt), and logs -f across rotations", async () => {
    const cmd = "for i in $(seq 1 800); do echo \"line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; [ $((i % 20)) = 0 ] && sleep 0.05; done";
    const id = (await ok("run", "-d", "--name", `${N}rot`, "--log-opt", "max-size=8k", "--log-opt", "max-file=3", "busybox", "sh", "-c", cmd)).trim();
    const f = await zoo("logs", "-f", `${N}rot`);
    const lines = f.stdout.trim().split("\n");
    // Follow read every line the monitor wrote while it was running, in order,
    // even though the live file was rotated many times under it.
    const nums = lines.map((l) => Number(l.split(" ")[1]));
    expect(nums[0]).toBeGreaterThanOrEqual(1);
    expect(nums.at(-1)).toBe(800);
    for (let i = 1; i < nums.length; i++) expect(nums[i]).toBe(nums[i - 1]! + 1);
    const dir = join(t.store, "containers", id);
    const files = readdirSync(dir).filter((e) => e.startsWith("container.log")).sort();
    expect(files).toEqual(["container.log", "container.log.1", "container.log.2"]);
    for (const x of files) expect(statSync(join(dir, x)).size).toBeLessThanOrEqual(8192);
    // Without -f: what the three files still hold, oldest first, ending with the last line.
    const kept = (await ok("logs", `${N}rot`)).trim().split("\n");
    expect(kept.at(-1)).toStartWith("line 800 ");
    expect(kept.length).toBeLessThan(800);
    await ok("rm", `${N}rot`);
  });

  test("restart policies: on-failure:N, always survives a kill of the main process, unless-stopped stays stopped", async () => {
    await ok("run", "-d", "--name", `${N}of`, "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1");
    await until("two restarts", async () => (await status(`${N}of`)) === "exited 1 2");
    expect(await ok("logs", `${N}of`)).toBe("run\nrun\nrun\n");
    await ok("rm", `${N}of`);

    await ok("run", "-d", "--name", `${N}al`, "--restart", "always", "busybox", "sleep", "1000");
    const pid1 = (await ok("inspect", "-f", "{{.State.Pid}}", `${N}al`)).trim();
    process.kill(Number(pid1), "SIGKILL");
    await until("a restart", async () => {
      const s = await ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.Pid}}", `${N}al`);
      return s.startsWith("running 1 ") && s.trim() !== `running 1 ${pid1}`;
    });
    await ok("rm", "-f", `${N}al`);

    await ok("run", "-d", "--name", `${N}us`, "--restart", "unless-stopped", "busybox", "sleep", "1000");
    await ok("stop", "-t", "0", `${N}us`);
    await Bun.sleep(500);
    expect(await status(`${N}us`)).toBe("exited 137 0");
    await ok("rm", `${N}us`);
  });

  test("names: generated and unique, a taken --name is refused; create + start; restart; rename", async () => {
    const a = (await ok("create", "busybox", "sleep", "1000")).trim();
    const b = (await ok("create", "busybox", "sleep", "1000")).trim();
    const names = (await ok("ps", "-a", "--format", "{{.Names}} {{.Status}}")).trim().split("\n");
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^[a-z]+_[a-z]+\d* Created$/);
    expect(names[0]!.split(" ")[0]).not.toBe(names[1]!.split(" ")[0]);
    await ok("rename", a, `${N}first`);
    const clash = await zoo("create", "--name", `${N}first`, "busybox", "true");
    expect(clash.code).toBe(125);
    expect(clash.stderr).toContain(`Conflict. The container name "/${N}first" is already in use by container`);
    await ok("start", `${N}first`);
    expect(await status(`${N}first`)).toBe("running 0 0");
    const pid1 = (await ok("inspect", "-f", "{{.State.Pid}}", `${N}first`)).trim();
    await ok("restart", "-t", "0", `${N}first`);
    expect(await status(`${N}first`)).toMatch(/^running /);
    expect((await ok("inspect", "-f", "{{.State.Pid}}", `${N}first`)).trim()).not.toBe(pid1);
    await ok("rm", "-f", `${N}first`, b);
    expect(await ok("ps", "-a", "-q")).toBe("");
  });

  test("--init: zoo-init is PID 1, reaps orphans, passes SIGTERM on, exits with the command's status", async () => {
    const r = await zoo("run", "--rm", "--init", "busybox", "sh", "-c", "(sleep 0.1 &); sleep 0.5; ps -o pid,stat,comm | grep -c ' Z '; cat /proc/1/comm; exit 7");
    expect(r.stdout).toBe("0\nzoo-init\n");
    expect(r.code).toBe(7);
    await ok("run", "-d", "--init", "--name", `${N}init`, "busybox", "sleep", "1000");
    const t0 = Date.now();
    await ok("stop", "-t", "20", `${N}init`);
    // sleep is not PID 1 here: SIGTERM's default action ends it at once.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await status(`${N}init`)).toBe("exited 143 0");
  });

  test("health checks: starting, unhealthy after the retries, healthy again; shown in ps and inspect", async () => {
    const c = `${N}health`;
    await ok("run", "-d", "--name", c, "--health-cmd", "test -f /tmp/ok", "--health-interval", "300ms", "--health-retries", "2", "busybox", "sleep", "1000");
    expect(await ok("ps", "--format", "{{.Status}}")).toMatch(/^Up .* \(health: starting\)\n$/);
    await until("unhealthy", async () => (await ok("inspect", "-f", "{{.State.Health.Status}}", c)).trim() === "unhealthy");
    expect(await ok("ps", "--format", "{{.Status}}")).toMatch(/\(unhealthy\)\n$/);
    await ok("exec", c, "touch", "/tmp/ok");
    await until("healthy", async () => (await ok("inspect", "-f", "{{.State.Health.Status}}", c)).trim() === "healthy");
    const h = JSON.parse(await ok("inspect", "-f", "{{json .State.Health}}", c));
    expect(h.FailingStreak).toBe(0);
    expect(h.Log.at(-1).ExitCode).toBe(0);
    expect(h.Log.length).toBeLessThanOrEqual(5);
    await ok("rm", "-f", c);
  });

  test("pause/unpause, top, port, stats, cp both ways, system df, info, system prune", async () => {
    const c = `${N}misc`;
    await ok("run", "-d", "--name", c, "-p", `${20000 + (process.pid % 10000)}:80`, "busybox", "sh", "-c", "while :; do date > /tmp/now; sleep 0.1; done");
    await ok("pause", c);
    expect((await ok("ps", "--format", "{{.State}} {{.Status}}")).trim()).toMatch(/^paused Up .* \(Paused\)$/);
    const frozen = (await ok("exec", c, "true").catch((e) => String(e))) as string;
    expect(frozen).toContain("is paused");
    await ok("unpause", c);
    expect((await ok("top", c)).split("\n")[0]).toMatch(/^UID\s+PID\s+PPID/);
    expect(await ok("port", c)).toBe(`80/tcp -> 0.0.0.0:${20000 + (process.pid % 10000)}\n`);
    const st = (await ok("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}", c)).trim();
    expect(st).toMatch(new RegExp(`^${c} [\\d.]+[KMG]?i?B / [\\d.]+[KMG]iB [1-9]\\d*$`));
    const host = (await import("node:fs")).mkdtempSync("/var/tmp/zoo-cp-");
    try {
      await ok("cp", `${c}:/etc/passwd`, `${host}/pw`);
      expect((await import("node:fs")).readFileSync(`${host}/pw`, "utf8")).toStartWith("root:x:0:0:");
      (await import("node:fs")).writeFileSync(`${host}/in`, "into the container\n");
      await ok("cp", `${host}/in`, `${c}:/tmp/`);
      await ok("cp", `${host}/in`, `${c}:/tmp/renamed`);
      expect(await ok("exec", c, "cat", "/tmp/in", "/tmp/renamed")).toBe("into the container\ninto the container\n");
      const missing = await zoo("cp", `${c}:/nope`, host);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("could not find the file /nope");
    } finally {
      (await import("node:fs")).rmSync(host, { recursive: true, force: true });
    }
    expect(await ok("system", "df")).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+1\s+1\s.*\nContainers\s+1\s+1\s/);
    expect(await ok("info")).toMatch(/Containers: 1\n  Running: 1\n  Paused: 0\n  Stopped: 0\n/);
    await ok("stop", "-t", "0", c);
    const pruned = await ok("system", "prune", "-f");
    expect(pruned).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
    expect(await ok("ps", "-a", "-q")).toBe("");
  });

  test("-i without -t: our stdin through the monitor to the container, end of input included", async () => {
    const r = await t.zoo(["run", "-i", "--rm", "busybox", "sh", "-c", "read x; echo got $x; wc -c"], { stdin: "first\nsecond line\n" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("got first\n12\n");
    // A larger stream than a pipe holds, and the exit code.
    const big = await t.zoo(["run", "-i", "--rm", "busybox", "sh", "-c", "wc -c; exit 4"], { stdin: "x".repeat(300_000) });
    expect(big.stdout.trim()).toBe("300000");
    expect(big.code).toBe(4);
  });

  test("an OOM kill is recorded with no zoo command running", async () => {
    const c = `${N}oom`;
    await ok("run", "-d", "--name", c, "-m", "16m", "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1");
    await until("the exit", async () => (await ok("inspect", "-f", "{{.State.Status}}", c)).trim() === "exited");
    expect((await ok("inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", c)).trim()).toBe("137 true");
    await ok("rm", c);
  });

  test("rootless: the user's own store, separate from root's; the same lifecycle", async () => {
    const user = ensureTestUser();
    const as = (...args: string[]) => run([ZOO, ...args], { asUser: user });
    const id = (await as("run", "-d", "--network", "none", "--name", `${N}rl`, "busybox", "sh", "-c", "echo from-$(id -u); sleep 1000")).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    try {
      expect((await as("ps", "--format", "{{.Names}}")).stdout).toBe(`${N}rl\n`);
      // Not in root's store.
      expect((await zoo("ps", "-a", "-q")).stdout).toBe("");
      await until("its log", async () => (await as("logs", `${N}rl`)).stdout === "from-0\n");
      expect((await as("exec", `${N}rl`, "id", "-u")).stdout).toBe("0\n");
      const stop = await as("stop", "-t", "1", `${N}rl`);
      expect(stop.code).toBe(0);
      expect((await as("inspect", "-f", "{{.State.Status}}", `${N}rl`)).stdout).toBe("exited\n");
    } finally {
      await as("rm", "-f", id);
    }
    expect((await as("ps", "-a", "-q")).stdout).toBe("");
  });

  test("bad input: one line, exit 125, no container left", async () => {
    for (const args of [
      ["run", "-d", "--restart", "sometimes", "busybox", "true"],
      ["run", "-d", "--log-opt", "max-size=lots", "busybox", "true"],
      ["run", "-d", "--rm", "--restart", "always", "busybox", "true"],
      ["run", "-d", "no-such-image"],
    ]) {
      const r = await zoo(...args);
      expect(r.code).toBe(125);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    const missing = await zoo("run", "-d", "busybox", "no-such-command");
    expect(missing.code).toBe(127);
    expect(await ok("ps", "-a", "--format", "{{.Status}}")).toBe("Created\n");
    expect((await ok("ps", "-a", "-q")).trim()).not.toBe("");
    await ok("container", "prune", "-f");
    expect(existsSync(join(t.store, "containers")) ? readdirSync(join(t.store, "containers")) : []).toEqual([]);
  });
});
