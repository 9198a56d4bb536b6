import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueuedWriter } from "../../../src/util/queued-writer.ts";

/** A sink that takes at most `room` bytes until drained by the test. */
class TightSink {
  got: number[] = [];
  room = 0;
  closed = false;
  write(d: Uint8Array): number {
    if (this.closed) return -1;
    const n = Math.min(this.room, d.length);
    this.got.push(...d.subarray(0, n));
    this.room -= n;
    return n;
  }
}

describe("QueuedWriter", () => {
  test("keeps what the sink did not take and sends it, in order, on drain", async () => {
    const sink = new TightSink();
    const w = new QueuedWriter(sink);
    sink.room = 2;
    expect(w.write(new Uint8Array([1, 2, 3]))).toBe(false);
    expect(w.write(new Uint8Array([4, 5]))).toBe(false);
    expect(w.pending).toBe(3);
    let idle = false;
    void w.whenIdle().then(() => (idle = true));
    sink.room = 2;
    w.drain();
    expect(sink.got).toEqual([1, 2, 3, 4]);
    await Promise.resolve();
    expect(idle).toBe(false);
    sink.room = 10;
    w.drain();
    await Promise.resolve();
    expect(sink.got).toEqual([1, 2, 3, 4, 5]);
    expect(idle).toBe(true);
    expect(w.write(new Uint8Array([6]))).toBe(true);
    expect(sink.got.at(-1)).toBe(6);
  });

  test("a closed sink drops the queue and wakes waiters", async () => {
    const sink = new TightSink();
    const w = new QueuedWriter(sink);
    w.write(new Uint8Array([1]));
    const idle = w.whenIdle();
    sink.closed = true;
    w.drain();
    await idle;
    expect(w.pending).toBe(0);
  });

  test("close() (the socket's close event) drops the queue and wakes waiters: no drain will come", async () => {
    const sink = new TightSink();
    const w = new QueuedWriter(sink);
    expect(w.write(new Uint8Array([1, 2]))).toBe(false);
    let woke = false;
    void w.whenIdle().then(() => (woke = true));
    w.close();
    await Promise.resolve();
    expect([woke, w.pending]).toEqual([true, 0]);
  });

  // The bug this exists for: a peer that reads late got a stream with holes in it.
  test("every byte of 4 MB reaches a unix socket peer that reads slower than we write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zoo-qw-"));
    try {
      const path = join(dir, "s");
      const total = 4 << 20;
      let received = 0;
      let sum = 0;
      let resolveDone: () => void = () => {};
      const done = new Promise<void>((r) => (resolveDone = r));
      const server = Bun.listen({
        unix: path,
        socket: {
          data: (_s, d) => {
            for (const b of d) sum = (sum + b) % 1_000_000_007;
            received += d.length;
            if (received >= total) resolveDone();
          },
        },
      });
      let writer: QueuedWriter | null = null;
      const socket = await Bun.connect({ unix: path, socket: { data: () => {}, drain: () => writer?.drain() } });
      writer = new QueuedWriter(socket);
      const chunk = new Uint8Array(64 * 1024).map((_, i) => i % 251);
      let expected = 0;
      for (let i = 0; i < total / chunk.length; i++) {
        writer.write(chunk);
        for (const b of chunk) expected = (expected + b) % 1_000_000_007;
      }
      expect(writer.pending).toBeGreaterThan(0); // the kernel buffer cannot hold 4 MB: the test exercises the queue
      await writer.whenIdle();
      await done;
      socket.end();
      server.stop(true);
      expect(received).toBe(total);
      expect(sum).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
