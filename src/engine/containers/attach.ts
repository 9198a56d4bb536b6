// The client side of a container's terminal (`zoo run -it`, `zoo attach`,
// `zoo start -a` with -t): the monitor's attach socket (native/src/attach.c),
// our terminal in raw mode, its size now and on every SIGWINCH, and Docker's
// detach keys, Ctrl-P Ctrl-Q, which leave the container running.
import { ZooError } from "../../util/errors.ts";
import type { Socket } from "bun";

const frame = (type: string, payload: Uint8Array) => {
  const out = new Uint8Array(3 + payload.length);
  out[0] = type.charCodeAt(0);
  out[1] = payload.length & 0xff;
  out[2] = payload.length >> 8;
  out.set(payload, 3);
  return out;
};

export const sizeFrame = (rows: number, cols: number) => frame("r", new Uint8Array([rows & 0xff, rows >> 8, cols & 0xff, cols >> 8]));

export const terminalSize = () =>
  process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined;

/** Finds Ctrl-P Ctrl-Q across chunks; what comes before it still goes to the container. */
export class DetachKeys {
  private pending = false;
  /** [bytes to send, detach?] */
  feed(chunk: Uint8Array): [Uint8Array, boolean] {
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.pending) {
        this.pending = false;
        if (b === 0x11) return [new Uint8Array(out), true];
        out.push(0x10);
      }
      if (b === 0x10) this.pending = true;
      else out.push(b);
    }
    return [new Uint8Array(out), false];
  }
}

export interface Attached {
  /** Resolves when the monitor closes the connection (the container ended) or the user detached. */
  done: Promise<"ended" | "detached">;
}

/** Connects now (output is buffered by the socket until `run` starts reading). */
export async function connectAttach(dir: string): Promise<{ run: () => Attached; socket: Socket<undefined> }> {
  let onData: ((d: Uint8Array) => void) | null = null;
  let onClose: () => void = () => {};
  const early: Uint8Array[] = [];
  let closed = false;
  // The socket's full path may be longer than a unix socket address allows: connect relative to its directory.
  const cwd = process.cwd();
  process.chdir(dir);
  let socket: Socket<undefined>;
  try {
    socket = await Bun.connect({
      unix: "attach",
      socket: {
        data: (_s, d) => {
          if (onData) onData(new Uint8Array(d));
          else early.push(new Uint8Array(d));
        },
        close: () => {
          closed = true;
          onClose();
        },
        error: () => {},
      },
    });
  } catch (e) {
    throw new ZooError(`cannot attach: ${(e as Error).message} (is the container running with -t?)`, 1);
  } finally {
    process.chdir(cwd);
  }
  return {
    socket,
    run: () => ({
      done: new Promise((resolve) => {
        const out = (d: Uint8Array) => process.stdout.write(d);
        for (const d of early) out(d);
        onData = out;
        const tty = process.stdin.isTTY;
        const keys = new DetachKeys();
        const restore = () => {
          if (tty) process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdin.off("data", input);
          process.off("SIGWINCH", resize);
        };
        const input = (chunk: Buffer) => {
          const [bytes, detach] = tty ? keys.feed(new Uint8Array(chunk)) : [new Uint8Array(chunk), false];
          for (let i = 0; i < bytes.length; i += 60000) socket.write(frame("d", bytes.subarray(i, i + 60000)));
          if (detach) {
            restore();
            // Before end(): closing may call onClose at once, which would say "ended".
            resolve("detached");
            socket.end();
          }
        };
        const resize = () => {
          if (process.stdout.isTTY) socket.write(sizeFrame(process.stdout.rows, process.stdout.columns));
        };
        onClose = () => {
          restore();
          resolve("ended");
        };
        if (tty) process.stdin.setRawMode(true);
        process.stdin.on("data", input);
        process.stdin.resume();
        process.on("SIGWINCH", resize);
        resize();
        if (closed) onClose();
      }),
    }),
  };
}

/** -i without -t: our stdin to the container's, then end of input; output comes from the log. */
export function streamStdin(socket: Socket<undefined>): void {
  process.stdin.on("data", (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk);
    for (let i = 0; i < bytes.length; i += 60000) socket.write(frame("d", bytes.subarray(i, i + 60000)));
  });
  process.stdin.on("end", () => socket.write(frame("e", new Uint8Array())));
  process.stdin.resume();
}
