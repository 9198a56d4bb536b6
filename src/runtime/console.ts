// process.terminal: the container's process makes its own pty (the shim's
// TTY op) and sends the master over a unix socket. With --console-socket the
// socket is the caller's; a foreground `run` without one gets a socketpair of
// ours and relays the master to its own stdio, as runc does.
import { createReadStream, statSync, writeSync } from "node:fs";
import { getWinsize, recvFd, setWinsize, streamPair, SyscallError, unixConnect } from "../sys/libc.ts";
import { strerror } from "../sys/errno.ts";
import { RuntimeError } from "./oci/errors.ts";

/** Connects to the caller's console socket; the fd goes to the shim. */
export function connectConsoleSocket(path: string): number {
  // Asked first: errno after an FFI call is not reliable under Bun.
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new RuntimeError(`--console-socket ${path}: cannot connect: No such file or directory`);
  if (!st.isSocket()) throw new RuntimeError(`--console-socket ${path}: cannot connect: not a unix socket`);
  try {
    return unixConnect(path);
  } catch (e) {
    const why = e instanceof SyscallError && e.errno !== 0 ? strerror(e.errno) : "nothing listens on it";
    throw new RuntimeError(`--console-socket ${path}: cannot connect: ${why}`);
  }
}

/** A socketpair whose far end is handed to the container; the master arrives on `near`. */
export function consolePair(): { near: number; far: number } {
  const [near, far] = streamPair();
  return { near, far };
}

/** The master fd the container sent (it is sent before the process is `created`). */
export function receiveMaster(sock: number): number {
  const m = recvFd(sock);
  if (!m) throw new RuntimeError("the container closed its console socket without sending a terminal");
  return m.fd;
}

/** Our terminal's size (stdout's, else stdin's), for a pty that should match it. */
export function ourTerminalSize(): { rows: number; cols: number } | null {
  return getWinsize(1) ?? getWinsize(0);
}

/**
 * Relays our stdin to the pty and the pty to our stdout until the container's
 * side is gone. Our terminal, if stdin is one, is raw meanwhile: the
 * container's pty does the line editing and echo. When our terminal is
 * resized (SIGWINCH), the pty gets the new size, and the kernel tells the
 * container's foreground process group.
 */
export function relayTerminal(master: number): { done: Promise<void>; stop: () => void } {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  const onInput = (b: Buffer) => {
    try {
      writeSync(master, b);
    } catch {}
  };
  stdin.on("data", onInput);
  stdin.resume();
  const onResize = () => {
    const size = ourTerminalSize();
    try {
      if (size) setWinsize(master, size);
    } catch {}
  };
  process.on("SIGWINCH", onResize);
  // The stream owns the master and closes it (Bun closes it on destroy even
  // with autoClose off, and later: a close of our own could hit a reused fd).
  const out = createReadStream("", { fd: master, autoClose: true, highWaterMark: 16384 });
  const done = new Promise<void>((resolve) => {
    out.on("data", (b) => process.stdout.write(b));
    // EIO once the last slave fd is closed: the container has exited.
    out.on("error", () => resolve());
    out.on("end", () => resolve());
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    stdin.off("data", onInput);
    process.off("SIGWINCH", onResize);
    stdin.pause();
    if (raw) stdin.setRawMode(false);
    out.destroy();
  };
  return { done, stop };
}
