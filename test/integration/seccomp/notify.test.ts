// SCMP_ACT_NOTIFY through zoo-runtime: the shim hands the filter's listener fd
// to a seccomp agent at linux.seccomp.listenerPath (SCM_RIGHTS, with the
// container process state), and the agent's answers become the container's
// syscall results.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileFixture, IS_ROOT } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

const buildAgent = () => compileFixture("test/integration/seccomp/agent.c");

describe.skipIf(!IS_ROOT)("seccomp user notification (zoo-runtime)", () => {
  const t = useRuntimeSuite();

  test("the agent gets the listener and the state, and answers getppid for the container", async () => {
    const agentBin = buildAgent();
    const sock = join(t.work, "agent.sock");
    const stateFile = join(t.work, "agent-state.json");
    const agent = Bun.spawn([agentBin, sock, stateFile, "4242"], { stdout: "pipe", stderr: "pipe" });
    const reader = agent.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe("ready\n");
    const dir = t.bundle(["sh", "-c", "echo ppid=$PPID"], (s) => {
      s.annotations = { "org.example.k": "v" };
      s.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        listenerPath: sock,
        listenerMetadata: "metadata for the agent",
        syscalls: [{ names: ["getppid"], action: "SCMP_ACT_NOTIFY" }],
      };
    });
    const r = await t.rt(["run", "--bundle", dir, "notify1"]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: "ppid=4242\n", stderr: "" });
    await agent.exited;
    let rest = "";
    for (let c = await reader.read(); !c.done; c = await reader.read()) rest += new TextDecoder().decode(c.value);
    expect(await new Response(agent.stderr).text()).toBe("");
    expect(rest).toBe("answered=1 nr=110\n".replace("110", String(process.arch === "arm64" ? 173 : 110)));
    const state = JSON.parse(readFileSync(stateFile, "utf8"));
    expect(state).toMatchObject({
      fds: ["seccompFd"],
      metadata: "metadata for the agent",
      state: { id: "notify1", status: "creating", bundle: dir, annotations: { "org.example.k": "v" } },
    });
    // The pid as the host sees it, which the agent needs for /proc/<pid>/mem.
    expect(state.pid).toBeGreaterThan(1);
    expect(state.state.pid).toBe(state.pid);
  });

  test("SCMP_ACT_NOTIFY without listenerPath is refused before anything runs", async () => {
    const dir = t.bundle(["true"], (s) => {
      s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getppid"], action: "SCMP_ACT_NOTIFY" }] };
    });
    const r = await t.rt(["run", "--bundle", dir, "notify2"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toStartWith("zoo-runtime: linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY");
    expect(r.stderr.split("\n").length).toBe(2);
  });

  test("an agent that is not listening: the container fails with one line naming the socket", async () => {
    const sock = join(t.work, "nobody.sock");
    expect(existsSync(sock)).toBe(false);
    const dir = t.bundle(["true"], (s) => {
      s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", listenerPath: sock, syscalls: [{ names: ["getppid"], action: "SCMP_ACT_NOTIFY" }] };
    });
    const r = await t.rt(["run", "--bundle", dir, "notify3"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`zoo-runtime: connect to the seccomp agent at ${sock}: No such file or directory\n`);
  });
});
