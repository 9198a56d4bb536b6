// The client side of a container's terminal (`zoo run -it`, `zoo attach`,
// `zoo start -a` with -t): the monitor's attach socket (native/src/attach.c),
// our terminal in raw mode, its size now and on every SIGWINCH, and Docker's
// detach keys, Ctrl-P Ctrl-Q, which leave the container running.
import { ZooError } from "../../util/errors.ts";
import type { Socket } from "bun";
import { QueuedWriter } from "../../util/queued-writer.ts";

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
export async function connectAttach(dir: string): Promise<{ run: () => Attached; socket: Socket<undefined>; writer: QueuedWriter }> {
  let writer: QueuedWriter | null = null;
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
          writer?.close();
          onClose();
        },
        drain: () => writer?.drain(),
        error: () => {},
      },
    });
  } catch (e) {
    throw new ZooError(`cannot attach: ${(e as Error).message} (is the container running with -t?)`, 1);
  } finally {
    process.chdir(cwd);
  }
  const w = (writer = new QueuedWriter(socket));
  return {
    socket,
    writer: w,
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
          sendData(w, bytes);
          if (detach) {
            restore();
            // What was typed before the keys goes first: zoo exits as soon as this resolves.
            // Resolved before end(): closing may call onClose at once, which would say "ended".
            void w.whenIdle().then(() => {
              resolve("detached");
              socket.end();
            });
          }
        };
        const resize = () => {
          if (process.stdout.isTTY) w.write(sizeFrame(process.stdout.rows, process.stdout.columns));
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

/** Data frames carry at most 64 kB less the header; a frame cut short would corrupt every later one, hence the queue. */
function sendData(w: QueuedWriter, bytes: Uint8Array): boolean {
  let all = true;
  for (let i = 0; i < bytes.length; i += 60000) all = w.write(frame("d", bytes.subarray(i, i + 60000))) && all;
  return all;
}

/** -i without -t: our stdin to the container's, then end of input; output comes from the log. */
export function streamStdin(w: QueuedWriter): void {
  process.stdin.on("data", (chunk: Buffer) => {
    // Stop reading while the monitor is behind, so a large input is not held in memory twice.
    if (!sendData(w, new Uint8Array(chunk))) {
      process.stdin.pause();
      void w.whenIdle().then(() => process.stdin.resume());
    }
  });
  process.stdin.on("end", () => w.write(frame("e", new Uint8Array())));
  process.stdin.resume();
}
