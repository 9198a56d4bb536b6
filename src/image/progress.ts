// Pull progress: on a terminal, one live line per layer redrawn in place;
// otherwise one plain line per state change (logs stay readable).
import { formatBytes } from "./units.ts";

type Out = { write(s: string): unknown; isTTY?: boolean };

export class Progress {
  private order: string[] = [];
  private lines = new Map<string, string>();
  private drawn = 0;
  private last = 0;
  private readonly live: boolean;

  constructor(private out: Out) {
    this.live = !!out.isTTY && process.env.TERM !== "dumb";
  }

  /** A state change: always shown. */
  status(id: string, text: string) {
    if (!this.order.includes(id)) this.order.push(id);
    this.lines.set(id, text);
    if (this.live) this.redraw();
    else this.out.write(`${id}: ${text}\n`);
  }

  /** Bytes so far: drawn on a terminal (at most every 100 ms), silent otherwise. */
  bytes(id: string, verb: string, done: number, total: number) {
    if (!this.live) return;
    this.lines.set(id, `${verb} ${bar(done, total)} ${formatBytes(done)}/${formatBytes(total)}`);
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    this.redraw();
  }

  private redraw() {
    let s = this.drawn ? `\x1b[${this.drawn}A` : "";
    for (const id of this.order) s += `\x1b[2K${id}: ${this.lines.get(id)}\n`;
    this.drawn = this.order.length;
    this.out.write(s);
  }

  line(text: string) {
    this.out.write(text + "\n");
    if (this.live) this.drawn = 0;
  }
}

function bar(done: number, total: number, width = 30): string {
  const n = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : 0;
  return `[${"=".repeat(Math.max(0, n - 1))}${n ? ">" : ""}${" ".repeat(width - n)}]`;
}
