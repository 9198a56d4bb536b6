// Reading a container's log (written by its monitor, logfile.c): lines of
// "<RFC 3339 ns> <stdout|stderr> <F|P> <text>"; rotated files are log.N
// (oldest) ... log.1, then log. `follow` keeps reading the live file, moves
// to the new one when the monitor rotates (the path's inode changes), and
// ends once the container has ended and everything is read.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from "node:fs";

export interface LogLine {
  time: string;
  stream: "stdout" | "stderr";
  partial: boolean;
  text: string;
}

export function parseLine(line: string): LogLine | null {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  const stream = line.slice(a + 1, b);
  const tag = line.slice(b + 1, c);
  if ((stream !== "stdout" && stream !== "stderr") || (tag !== "F" && tag !== "P")) return null;
  return { time: line.slice(0, a), stream, partial: tag === "P", text: line.slice(c + 1) };
}

export interface LogOptions {
  tail?: number;
  since?: number; // ms since the epoch
  until?: number;
  timestamps: boolean;
}

/** Log files oldest first. */
export function logFiles(path: string): string[] {
  const out: string[] = [];
  for (let i = 1; existsSync(`${path}.${i}`); i++) out.unshift(`${path}.${i}`);
  if (existsSync(path)) out.push(path);
  return out;
}

const tsMs = (t: string) => Date.parse(t.replace(/(\.\d{3})\d+Z$/, "$1Z"));

export class LogPrinter {
  private pendingTs = new Map<string, boolean>();
  constructor(
    private o: LogOptions,
    private out: (stream: "stdout" | "stderr", text: string) => void,
  ) {}

  /** Lines for output, after --since/--until; --tail is applied by the caller on whole lines. */
  accept(l: LogLine): boolean {
    const t = tsMs(l.time);
    return !(this.o.since !== undefined && t < this.o.since) && !(this.o.until !== undefined && t > this.o.until);
  }

  print(l: LogLine) {
    // -t: the time at the start of each line, not of each partial piece.
    const start = !this.pendingTs.get(l.stream);
    const prefix = this.o.timestamps && start ? `${l.time} ` : "";
    this.pendingTs.set(l.stream, l.partial);
    this.out(l.stream, prefix + l.text + (l.partial ? "" : "\n"));
  }
}

/** Whole entries: a P run up to its F counts as one line for --tail. */
function groupLines(lines: LogLine[]): LogLine[][] {
  const groups: LogLine[][] = [];
  const open = new Map<string, LogLine[]>();
  for (const l of lines) {
    let g = open.get(l.stream);
    if (!g) {
      g = [];
      groups.push(g);
      open.set(l.stream, g);
    }
    g.push(l);
    if (!l.partial) open.delete(l.stream);
  }
  return groups;
}

class Reader {
  private fd = -1;
  ino = 0;
  private pos = 0;
  private rest = "";
  constructor(private path: string) {}

  open(): boolean {
    try {
      this.fd = openSync(this.path, "r");
      this.ino = fstatSync(this.fd).ino;
      return true;
    } catch {
      return false;
    }
  }

  /** Complete lines appended since the last call. */
  read(): string[] {
    if (this.fd < 0) return [];
    // A single log file is truncated in place when it is full: start again.
    if (fstatSync(this.fd).size < this.pos) this.pos = 0;
    const buf = Buffer.alloc(65536);
    let text = "";
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) break;
      this.pos += n;
      text += buf.toString("utf8", 0, n);
    }
    const all = (this.rest + text).split("\n");
    this.rest = all.pop()!;
    return all;
  }

  rotated(): boolean {
    try {
      return statSync(this.path).ino !== this.ino;
    } catch {
      return false;
    }
  }

  close() {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * The rotated files written after the one with inode `ino`, oldest first:
 * when several rotations happen between two reads, the files in between are
 * read whole. If ours is gone (it fell off the end), every rotated file is newer.
 */
function newerRotated(path: string, ino: number): string[] {
  const rotated = logFiles(path).filter((f) => f !== path);
  const i = rotated.findIndex((f) => {
    try {
      return statSync(f).ino === ino;
    } catch {
      return false;
    }
  });
  return rotated.slice(i + 1);
}

export async function printLogs(path: string, o: LogOptions & { follow: boolean; running: () => boolean }, out: (stream: "stdout" | "stderr", text: string) => void) {
  const p = new LogPrinter(o, out);
  const files = logFiles(path);
  const live = new Reader(path);
  const hasLive = files.at(-1) === path && live.open();
  const old: string[] = [];
  for (const f of files) {
    if (f === path) continue;
    const r = new Reader(f);
    if (r.open()) old.push(...r.read());
    r.close();
  }
  const first = [...old, ...(hasLive ? live.read() : [])].map(parseLine).filter((l): l is LogLine => l !== null && p.accept(l));
  let groups = groupLines(first);
  if (o.tail !== undefined) groups = o.tail === 0 ? [] : groups.slice(-o.tail);
  for (const g of groups) for (const l of g) p.print(l);
  if (!o.follow) return live.close();
  let reader = hasLive ? live : null;
  for (;;) {
    const ended = !o.running();
    if (!reader) {
      const r = new Reader(path);
      if (r.open()) reader = r;
    }
    if (reader) {
      for (const l of reader.read().map(parseLine)) if (l && p.accept(l)) p.print(l);
      if (reader.rotated()) {
        // The rest of the old file first, any whole files rotated since, then the live one from its start.
        for (const l of reader.read().map(parseLine)) if (l && p.accept(l)) p.print(l);
        reader.close();
        for (const f of newerRotated(path, reader.ino)) {
          const r = new Reader(f);
          if (r.open()) for (const l of r.read().map(parseLine)) if (l && p.accept(l)) p.print(l);
          r.close();
        }
        reader = null;
        continue;
      }
    }
    if (ended) break;
    await Bun.sleep(50);
  }
  reader?.close();
}
