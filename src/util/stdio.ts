// Lines for our stdout and stderr, written with write(2) at once. Bun builds
// process.stdout or process.stderr as a Node stream on first use, which
// costs about 8 ms here: more than a whole replayed container run, for a
// command (state, a container ID, an error) that prints one line. Streams
// stay for what really streams (a pty relay, attach, logs).
import { writeSync } from "node:fs";

function writeAll(fd: number, text: string | Uint8Array): void {
  let buf = typeof text === "string" ? Buffer.from(text) : text;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A descriptor someone else made non-blocking: wait for room.
      if (code === "EAGAIN") {
        Bun.sleepSync(1);
        continue;
      }
      // The reader has gone (`zoo-runtime list | head -1`): nothing more to say.
      if (code === "EPIPE") return;
      throw e;
    }
  }
}

export const writeOut = (text: string | Uint8Array) => writeAll(1, text);
export const writeErr = (text: string | Uint8Array) => writeAll(2, text);
