// A streaming tar reader (ustar, GNU long names, PAX): entries come out one
// at a time with their data as chunks, so a layer of any size is read with
// bounded memory. It checks the format and nothing else; what an entry may
// do to the disk is layer.ts's decision.

export type TarType = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface TarHeader {
  path: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX SCHILY.xattr.* records. */
  xattrs: Record<string, Uint8Array>;
}

export class TarFormatError extends Error {}

/** Exact-size reads over an async byte stream. */
class Bytes {
  private buf: Uint8Array[] = [];
  private have = 0;
  private done = false;
  constructor(private src: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.have < n && !this.done) {
      const r = await this.src.next();
      if (r.done) this.done = true;
      else if (r.value.length) {
        this.buf.push(r.value);
        this.have += r.value.length;
      }
    }
    return this.have >= n;
  }

  /** Up to `max` bytes (at least one), or null at the end. */
  async some(max: number): Promise<Uint8Array | null> {
    if (!(await this.fill(1))) return null;
    const first = this.buf[0]!;
    if (first.length <= max) {
      this.buf.shift();
      this.have -= first.length;
      return first;
    }
    this.buf[0] = first.subarray(max);
    this.have -= max;
    return first.subarray(0, max);
  }

  async exactly(n: number, what: string): Promise<Uint8Array> {
    if (!(await this.fill(n))) throw new TarFormatError(`truncated archive (${what})`);
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = (await this.some(n - off))!;
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

const dec = new TextDecoder();

function str(h: Uint8Array, off: number, len: number): string {
  const f = h.subarray(off, off + len);
  const z = f.indexOf(0);
  return dec.decode(z < 0 ? f : f.subarray(0, z));
}

function num(h: Uint8Array, off: number, len: number, field: string): number {
  const f = h.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian, high bit of the first byte is the marker.
    let v = BigInt(f[0]! & 0x7f);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(f[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError(`${field} out of range`);
    return Number(v);
  }
  const s = str(h, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad ${field} field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

const TYPES: Record<string, TarType> = { "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo" };

function parsePax(data: Uint8Array): Record<string, string | Uint8Array> {
  const out: Record<string, string | Uint8Array> = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw new TarFormatError("bad PAX record");
    const len = parseInt(dec.decode(data.subarray(off, sp)), 10);
    if (!(len > 0) || off + len > data.length) throw new TarFormatError("bad PAX record length");
    const rec = data.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new TarFormatError("bad PAX record");
    const key = dec.decode(rec.subarray(0, eq));
    // xattr values are binary (file capabilities); everything else is UTF-8.
    out[key] = key.startsWith("SCHILY.xattr.") ? rec.slice(eq + 1) : dec.decode(rec.subarray(eq + 1));
    off += len;
  }
  return out;
}

export interface TarEntryIn {
  header: TarHeader;
  /** The entry's data; what is not read is skipped. */
  data(): AsyncGenerator<Uint8Array>;
}

const MAX_META = 1 << 20; // long names and PAX headers: no layer needs more

export async function* readTar(src: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntryIn> {
  const r = new Bytes(src[Symbol.asyncIterator]());
  let longName: string | null = null;
  let longLink: string | null = null;
  let pax: Record<string, string | Uint8Array> = {};
  for (;;) {
    if (await r.atEnd()) throw new TarFormatError("truncated archive (no end-of-archive marker)");
    const h = await r.exactly(512, "header");
    if (h.every((b) => b === 0)) return; // end marker (a second zero block may follow)
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    let want = -1;
    try {
      want = num(h, 148, 8, "checksum");
    } catch {}
    if (sum !== want) throw new TarFormatError("header checksum mismatch: not a tar archive, or a corrupted one");
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12, "size");
    const padded = size + ((512 - (size % 512)) % 512);
    if (flag === "L" || flag === "K" || flag === "x" || flag === "g") {
      if (size > MAX_META) throw new TarFormatError(`metadata entry of ${size} bytes is too large`);
      const body = (await r.exactly(padded, "metadata")).subarray(0, size);
      if (flag === "L") longName = str(body, 0, size);
      else if (flag === "K") longLink = str(body, 0, size);
      else if (flag === "x") pax = { ...pax, ...parsePax(body) };
      // Global PAX headers ("g") set defaults nobody relies on in layers.
      continue;
    }
    const type = TYPES[flag];
    if (!type) throw new TarFormatError(`unsupported tar entry type "${flag}"`);
    const prefix = dec.decode(h.subarray(257, 262)) === "ustar" ? str(h, 345, 155) : "";
    const xattrs: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(pax)) if (k.startsWith("SCHILY.xattr.") && v instanceof Uint8Array) xattrs[k.slice(13)] = v;
    const paxStr = (k: string) => (typeof pax[k] === "string" ? (pax[k] as string) : undefined);
    const paxNum = (k: string) => (paxStr(k) !== undefined ? Number(paxStr(k)) : undefined);
    const header: TarHeader = {
      path: paxStr("path") ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100)),
      type,
      mode: num(h, 100, 8, "mode") & 0o7777,
      uid: paxNum("uid") ?? num(h, 108, 8, "uid"),
      gid: paxNum("gid") ?? num(h, 116, 8, "gid"),
      size: paxNum("size") ?? size,
      mtime: Math.floor(paxNum("mtime") ?? num(h, 136, 12, "mtime")),
      linkname: paxStr("linkpath") ?? longLink ?? str(h, 157, 100),
      devmajor: num(h, 329, 8, "devmajor"),
      devminor: num(h, 337, 8, "devminor"),
      xattrs,
    };
    longName = longLink = null;
    pax = {};
    if (!Number.isSafeInteger(header.size) || header.size < 0) throw new TarFormatError("bad size");
    if (type !== "file") header.size = 0; // links and dirs carry no data whatever the header says
    const dataSize = type === "file" ? header.size : size;
    let left = dataSize;
    const data = async function* () {
      while (left > 0) {
        const c = await r.some(left);
        if (!c) throw new TarFormatError(`truncated archive (data of ${header.path})`);
        left -= c.length;
        yield c;
      }
    };
    yield { header, data };
    while (left > 0) {
      const c = await r.some(left);
      if (!c) throw new TarFormatError(`truncated archive (data of ${header.path})`);
      left -= c.length;
    }
    const pad = (512 - (dataSize % 512)) % 512;
    if (pad) await r.exactly(pad, "padding");
  }
}
