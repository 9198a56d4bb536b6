// -it through a real terminal (tmux): the monitor's pty, the caller's
// terminal in raw mode, the size at start and after a resize, Ctrl-C reaching
// the container, Docker's detach keys, attach, and the exit code.
import { describe, expect, test } from "bun:test";
import { IS_ROOT, ZOO } from "../../helpers/env.ts";
import { useEngineStore } from "./scaffold.ts";

const TMUX = Bun.which("tmux");

describe.skipIf(!IS_ROOT || !TMUX)("zoo run -it", () => {
  const t = useEngineStore();
  const sock = `zoo-test-${process.pid}`;
  const tmux = (...args: string[]) => Bun.spawnSync([TMUX!, "-L", sock, ...args], { stdout: "pipe", stderr: "pipe" });
  const screen = () => tmux("capture-pane", "-p", "-t", "s").stdout.toString();
  const until = async (what: string, ok: (s: string) => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (ok(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
      await Bun.sleep(100);
    }
  };
  const session = async (cmd: string) => {
    tmux("kill-session", "-t", "s");
    // A server whose last session just ended may still be going away: try again.
    let r = tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", "s", `env ZOO_ROOT=${t.store} ${cmd}; echo EXIT=$?; sleep 60`);
    for (let i = 0; i < 20 && r.exitCode !== 0; i++) {
      await Bun.sleep(100);
      r = tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", "s", `env ZOO_ROOT=${t.store} ${cmd}; echo EXIT=$?; sleep 60`);
    }
    expect(r.stderr.toString()).toBe("");
  };

  test("size, resize, Ctrl-C, exit code", async () => {
    await session(`${ZOO} run -it --rm busybox sh`);
    await until("the prompt", (s) => s.includes("/ #"));
    tmux("send-keys", "-t", "s", "stty size", "Enter");
    await until("the first size", (s) => s.includes("30 100"));
    tmux("resize-window", "-t", "s", "-x", "120", "-y", "40");
    await Bun.sleep(300);
    tmux("send-keys", "-t", "s", "clear; stty size", "Enter");
    await until("the new size", (s) => s.includes("40 120"));
    tmux("send-keys", "-t", "s", "sleep 1000", "Enter");
    await Bun.sleep(500);
    tmux("send-keys", "-t", "s", "C-c");
    tmux("send-keys", "-t", "s", "echo after-$((40+2))", "Enter");
    await until("the shell after Ctrl-C", (s) => s.includes("after-42"));
    tmux("send-keys", "-t", "s", "exit 3", "Enter");
    await until("the exit code", (s) => s.includes("EXIT=3"));
    // --rm in the foreground: gone once the code was read.
    expect((await t.zoo(["ps", "-a", "-q"])).stdout).toBe("");
    tmux("kill-server");
  }, 60_000);

  test("exec -it: a new pty in the container, our size, the exit code", async () => {
    const c = `ex-${process.pid}`;
    expect((await t.zoo(["run", "-d", "--name", c, "busybox", "sleep", "1000"])).code).toBe(0);
    await session(`${ZOO} exec -it ${c} sh`);
    await until("the prompt", (s) => s.includes("/ #"));
    tmux("send-keys", "-t", "s", "tty; stty size", "Enter");
    await until("its terminal", (s) => /\/dev\/pts\/\d+\n30 100/.test(s));
    tmux("send-keys", "-t", "s", "exit 6", "Enter");
    await until("the exit code", (s) => s.includes("EXIT=6"));
    tmux("kill-session", "-t", "s");
  }, 60_000);

  test("Ctrl-P Ctrl-Q detaches and leaves it running; attach gets it back", async () => {
    await session(`${ZOO} run -it --name tty-${process.pid} busybox sh`);
    await until("the prompt", (s) => s.includes("/ #"));
    tmux("send-keys", "-t", "s", "C-p", "C-q");
    await until("zoo to return", (s) => s.includes("EXIT=0"));
    expect((await t.zoo(["ps", "--format", "{{.Names}} {{.State}}"])).stdout).toBe(`tty-${process.pid} running\n`);
    await session(`${ZOO} attach tty-${process.pid}`);
    await Bun.sleep(500);
    tmux("send-keys", "-t", "s", "echo back-$((1+1))", "Enter");
    await until("the same shell", (s) => s.includes("back-2"));
    tmux("send-keys", "-t", "s", "exit 5", "Enter");
    await until("the exit code", (s) => s.includes("EXIT=5"));
    expect((await t.zoo(["ps", "-a", "--format", "{{.Status}}"])).stdout).toMatch(/^Exited \(5\)/);
    // Everything it showed is in its log too.
    expect((await t.zoo(["logs", `tty-${process.pid}`])).stdout).toContain("back-2");
    tmux("kill-server");
  }, 60_000);
});
