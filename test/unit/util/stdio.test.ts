// writeOut/writeErr: whole writes straight to fds 1 and 2, a reader that
// goes away ends the output quietly, a non-blocking pipe is waited on.
import { expect, test } from "bun:test";
import { join } from "node:path";

const STDIO = join(import.meta.dir, "../../../src/util/stdio.ts");
const BUN = process.execPath;

/** A Bun child that imports stdio.ts and runs `body`. */
function child(body: string, stdout: "pipe" | "ignore" = "pipe") {
  const src = `import { writeOut, writeErr } from ${JSON.stringify(STDIO)};\n${body}`;
  return Bun.spawn([BUN, "-e", src], { stdout, stderr: "pipe" });
}

test("a megabyte comes through a pipe whole and in order, stderr beside it", async () => {
  const p = child(`const line = "0123456789abcdef".repeat(4) + "\\n"; for (let i = 0; i < 16384; i++) writeOut(line); writeErr("done\\n");`);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  expect(await p.exited).toBe(0);
  expect(out.length).toBe(65 * 16384);
  expect(out).toBe(("0123456789abcdef".repeat(4) + "\n").repeat(16384));
  expect(err).toBe("done\n");
});

test("a reader that stops early (| head -1) ends the output without an error", async () => {
  const p = Bun.spawn(["sh", "-c", `${JSON.stringify(BUN)} -e "$0" | head -c 10 >/dev/null; echo "\${PIPESTATUS:-}"`, `import { writeOut, writeErr } from ${JSON.stringify(STDIO)}; for (let i = 0; i < 100000; i++) writeOut("x".repeat(100) + "\\n"); writeErr("finished\\n");`], { stdout: "pipe", stderr: "pipe" });
  const [, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  expect(await p.exited).toBe(0);
  // Either the writer saw EPIPE and returned quietly, or finished before head went away.
  expect(err.replace("finished\n", "")).toBe("");
});

test("a non-blocking stdout is waited on (EAGAIN), not an error", async () => {
  // O_NONBLOCK set on our own stdout pipe, then more than the pipe holds, read slowly.
  const body = `import { dlopen } from "bun:ffi";
const libc = dlopen("libc.so.6", { fcntl: { args: ["i32", "i32", "i32"], returns: "i32" } });
const fl = libc.symbols.fcntl(1, 3, 0);
libc.symbols.fcntl(1, 4, fl | 0o4000);
writeOut("y".repeat(1 << 20));
writeErr("ok\\n");`;
  const p = child(body);
  await Bun.sleep(200);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  expect(await p.exited).toBe(0);
  expect([out.length, err]).toEqual([1 << 20, "ok\n"]);
});
