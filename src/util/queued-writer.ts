// A Bun socket's write() takes only what fits in the kernel buffer and
// returns how much that was; the rest is the caller's. This keeps the
// remainder, in order, for the socket's drain event, so a framed stream is
// never cut short when the peer reads slowly.
export interface PartialWriter {
  /** Bytes accepted, or -1 when the socket is closed. */
  write(data: Uint8Array): number;
}

export class QueuedWriter {
  private queue: Uint8Array[] = [];
  private idle: (() => void)[] = [];

  constructor(private readonly sink: PartialWriter) {}

  /** Queues what the sink did not take; false means the caller should wait for `whenIdle`. */
  write(data: Uint8Array): boolean {
    if (this.queue.length === 0) {
      const n = this.sink.write(data);
      if (n < 0) return true; // closed: nobody will read it, and drain will never come
      if (n >= data.length) return true;
      data = data.subarray(n);
    }
    this.queue.push(data);
    return false;
  }

  /** Call from the socket's drain handler. */
  drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.sink.write(head);
      if (n < 0) {
        this.queue = [];
        break;
      }
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
    const waiting = this.idle;
    this.idle = [];
    for (const f of waiting) f();
  }

  /** Call from the socket's close handler: nothing queued will go, and nobody may wait for it. */
  close(): void {
    this.queue = [];
    const waiting = this.idle;
    this.idle = [];
    for (const f of waiting) f();
  }

  get pending(): number {
    return this.queue.reduce((sum, d) => sum + d.length, 0);
  }

  /** Resolves once everything written so far has reached the sink. */
  whenIdle(): Promise<void> {
    return this.queue.length === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }
}
