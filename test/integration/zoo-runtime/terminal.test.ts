// process.terminal and --console-socket as runc's callers use them: the
// container's process gets a pty from its own devpts, the master comes out
// over the console socket (SCM_RIGHTS), and a foreground `run` without a
// socket relays the pty itself. Real busybox containers throughout.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT } from "../../helpers/env.ts";
import { RUNTIME, useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

// A console-socket listener like runc's recvtty: accept one connection, take
// the fd it carries, type `input` into it, and copy the pty's output to
// stdout until the container's side is gone (EIO).
const RECVTTY_C = String.raw`
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv) {
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[64] = "", buf[4096], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
	struct stat st;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c, master;
	ssize_t n;
	strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0) { perror("listen"); return 2; }
	fprintf(stderr, "ready\n");
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0 || recvmsg(c, &mh, MSG_CMSG_CLOEXEC) < 0 || !CMSG_FIRSTHDR(&mh)) { perror("recvmsg"); return 3; }
	memcpy(&master, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof master);
	if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode)) { fprintf(stderr, "not a terminal\n"); return 4; }
	fprintf(stderr, "name=%s rdev=%u:%u\n", name, major(st.st_rdev), minor(st.st_rdev));
	if (argc > 2 && write(master, argv[2], strlen(argv[2])) < 0) return 5;
	while ((n = read(master, buf, sizeof buf)) > 0)
		if (write(1, buf, (size_t)n) != n) return 6;
	return 0;
}
`;

describe.skipIf(!IS_ROOT)("zoo-runtime: terminal and console socket (root)", () => {
  const t = useRuntimeSuite();
  const script = "tty; stty size; read line; echo got $line; ls /dev/pts | tr '\\n' ' '; echo; exit 5";
  const withTerminal = (args: string[]) =>
    t.bundle(args, (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 24, width: 80 };
    });

  let recvtty = "";
  function buildRecvtty(): string {
    if (recvtty) return recvtty;
    const src = join(t.work, "recvtty.c");
    writeFileSync(src, RECVTTY_C);
    const out = join(t.work, "recvtty");
    const r = Bun.spawnSync(["gcc", "-O2", "-Wall", "-Werror", "-D_GNU_SOURCE", "-include", "sys/sysmacros.h", "-o", out, src]);
    if (r.exitCode !== 0) throw new Error(`compiling recvtty failed: ${r.stderr}`);
    return (recvtty = out);
  }

  /** Starts the listener and resolves once it listens. */
  async function listen(sock: string, input: string) {
    const p = Bun.spawn([buildRecvtty(), sock, input], { stdout: "pipe", stderr: "pipe" });
    const err = p.stderr.getReader();
    let text = "";
    while (!text.includes("ready\n")) {
      const { value, done } = await err.read();
      if (done) throw new Error(`recvtty did not start: ${text}`);
      text += new TextDecoder().decode(value);
    }
    const rest = (async () => {
      for (;;) {
        const { value, done } = await err.read();
        if (done) return text;
        text += new TextDecoder().decode(value);
      }
    })();
    return { p, stdout: new Response(p.stdout).text(), stderr: rest };
  }

  test("run -d --console-socket: the master arrives by SCM_RIGHTS; tty is /dev/pts/N of the container's devpts", async () => {
    const sock = join(t.work, "console.sock");
    const l = await listen(sock, "hello\n");
    const b = withTerminal(["sh", "-c", script]);
    const r = await t.detached(["run", "-d", "--console-socket", sock, "-b", b, "tty1"]);
    expect([r.code, readFileSync(r.log, "utf8")]).toEqual([0, ""]);
    const out = await l.stdout;
    await l.p.exited;
    expect(l.p.exitCode).toBe(0);
    // The pty's own echo of what was typed, then the command's lines; a
    // fresh devpts instance holds only this one pty.
    expect(out).toBe("hello\r\n/dev/pts/0\r\n24 80\r\ngot hello\r\n0 ptmx \r\n");
    // The master: the pty multiplexer's device, 5:2.
    expect(await l.stderr).toBe("ready\nname=/dev/ptmx rdev=5:2\n");
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "tty1"])).stdout).status === "stopped", "stopped");
    expect((await t.rt(["delete", "tty1"])).code).toBe(0);
  });

  test("create --console-socket, then start: the process runs on the pty only after start", async () => {
    const sock = join(t.work, "console2.sock");
    const l = await listen(sock, "x\n");
    const b = withTerminal(["sh", "-c", "read line; echo [$line] on $(tty); exit 0"]);
    const c = await t.detached(["create", "--console-socket", sock, "-b", b, "tty2"]);
    expect([c.code, readFileSync(c.log, "utf8")]).toEqual([0, ""]);
    expect(JSON.parse((await t.rt(["state", "tty2"])).stdout).status).toBe("created");
    expect((await t.rt(["start", "tty2"])).code).toBe(0);
    expect(await l.stdout).toBe("x\r\n[x] on /dev/pts/0\r\n");
    await t.waitFor(async () => JSON.parse((await t.rt(["state", "tty2"])).stdout).status === "stopped", "stopped");
  });

  test("foreground run without a console socket relays the pty to its stdio; the exit code is the container's", async () => {
    const b = withTerminal(["sh", "-c", script]);
    const r = await t.rt(["run", "-b", b, "tty3"], { stdin: "hi\n", timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(5);
    // The pty echoes "hi" whenever the relay delivers it, so that line may come anywhere before "got hi".
    const lines = r.stdout.split("\r\n");
    const echo = lines.indexOf("hi");
    expect(echo).toBeGreaterThanOrEqual(0);
    expect(echo).toBeLessThan(lines.indexOf("got hi"));
    lines.splice(echo, 1);
    expect(lines).toEqual(["/dev/pts/0", "24 80", "got hi", "0 ptmx ", ""]);
    expect(existsSync(join(t.root, "tty3"))).toBe(false);
  });

  test("runc's rules: no detached tty without a socket, no socket without a tty or in the foreground; nothing left", async () => {
    const tty = withTerminal(["true"]);
    const plain = t.bundle(["true"]);
    const sock = join(t.work, "nobody.sock");
    const cases: [string[], string][] = [
      [["create", "-b", tty, "r1"], "cannot allocate tty if zoo-runtime will detach without setting console socket"],
      [["run", "-d", "-b", tty, "r2"], "cannot allocate tty if zoo-runtime will detach without setting console socket"],
      [["create", "--console-socket", sock, "-b", plain, "r3"], "cannot use console socket if zoo-runtime will not detach or allocate tty"],
      [["run", "--console-socket", sock, "-b", tty, "r4"], "cannot use console socket if zoo-runtime will not detach or allocate tty"],
    ];
    for (const [args, msg] of cases) {
      const r = await t.rt(args);
      expect([args.join(" "), r.code, r.stderr]).toEqual([args.join(" "), 1, `zoo-runtime: ${msg}\n`]);
    }
    const r = await t.rt(["create", "--console-socket", sock, "-b", tty, "r5"]);
    expect([r.code, r.stderr]).toEqual([1, `zoo-runtime: --console-socket ${sock}: cannot connect: No such file or directory\n`]);
    // No devpts in the container: the TTY op fails in the child, naming what it could not open.
    const noPts = t.bundle(["true"], (s) => {
      s.process!.terminal = true;
      s.mounts = s.mounts!.filter((m) => m.destination !== "/dev/pts");
    });
    const r6 = await t.rt(["run", "-b", noPts, "r6"]);
    expect([r6.code, r6.stderr]).toEqual([1, "zoo-runtime: set up the terminal (/dev/ptmx): No such file or directory\n"]);
    for (const id of ["r1", "r2", "r3", "r4", "r5", "r6"]) expect(existsSync(join(t.root, id))).toBe(false);
  });

  test("exec -t -d --console-socket: the exec'd process gets its own pty in the container's devpts", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "etty1"])).code).toBe(0);
    const sock = join(t.work, "exec-console.sock");
    const l = await listen(sock, "hello\n");
    const r = await t.detached(["exec", "-t", "-d", "--console-socket", sock, "etty1", "sh", "-c", "read line; echo got $line on $(tty); exit 0"]);
    expect([r.code, readFileSync(r.log, "utf8")]).toEqual([0, ""]);
    expect(await l.stdout).toBe("hello\r\ngot hello on /dev/pts/0\r\n");
    await l.p.exited;
    expect(await l.stderr).toBe("ready\nname=/dev/ptmx rdev=5:2\n");
  }, 30_000);

  test("foreground exec -t relays the pty; exit code is the command's; runc's rules (and exit 255) for exec's socket", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "etty2"])).code).toBe(0);
    const r = await t.rt(["exec", "-t", "etty2", "sh", "-c", "read line; echo got $line on $(tty); exit 4"], { stdin: "hi\n", timeoutMs: 30_000 });
    expect([r.code, r.stderr]).toEqual([4, ""]);
    expect(r.stdout.split("\r\n").filter((l) => l !== "hi")).toEqual(["got hi on /dev/pts/0", ""]);
    // Without -t: no pty (stdin is ours).
    const plain = await t.rt(["exec", "etty2", "sh", "-c", "tty || true"]);
    expect(plain.stdout).toBe("not a tty\n");
    const sock = join(t.work, "nobody2.sock");
    const d = await t.rt(["exec", "-t", "-d", "etty2", "true"]);
    expect([d.code, d.stderr]).toEqual([255, "zoo-runtime: cannot allocate tty if zoo-runtime will detach without setting console socket\n"]);
    const s = await t.rt(["exec", "--console-socket", sock, "-d", "etty2", "true"]);
    expect([s.code, s.stderr]).toEqual([255, "zoo-runtime: cannot use console socket if zoo-runtime will not detach or allocate tty\n"]);
  }, 30_000);

  test("foreground run on a terminal: resizing zoo-runtime's terminal resizes the container's pty (SIGWINCH)", async () => {
    const b = t.bundle(["sh", "-c", "trap 'stty size; exit 3' WINCH; echo ready; while :; do sleep 0.1; done"], (s) => {
      s.process!.terminal = true;
    });
    // script(1) gives zoo-runtime a terminal of its own, which the test then resizes.
    const cmd = `${RUNTIME} --root ${t.root} run -b ${b} winch1`;
    const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const reader = p.stdout.getReader();
    let out = "";
    while (!out.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`no "ready": ${out}`);
      out += new TextDecoder().decode(value);
    }
    const pid = Bun.spawnSync(["pgrep", "-f", `^${RUNTIME} --root ${t.root} run -b ${b} winch1$`]).stdout.toString().trim();
    const pty = readlinkSync(`/proc/${pid}/fd/1`);
    expect(pty).toMatch(/^\/dev\/pts\/\d+$/);
    expect(Bun.spawnSync(["stty", "-F", pty, "rows", "33", "cols", "111"]).exitCode).toBe(0);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    await p.exited;
    expect(out.replace(/\r/g, "")).toContain("\n33 111\n");
    expect(p.exitCode).toBe(3);
  }, 30_000);
});
