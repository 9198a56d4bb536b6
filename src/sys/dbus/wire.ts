// The D-Bus wire format (little-endian only): values by signature, with the
// spec's alignment rules. Pure: bytes in, values out, so it is tested against
// byte sequences captured from a real bus.
//
// Values: y n q i u d → number, x t → bigint, b → boolean, s o g → string,
// a → array (a{kv} → array of [k, v]), ( ) → array of fields, v → Variant.

export interface Variant {
  sig: string;
  value: DbusValue;
}
export type DbusValue = number | bigint | boolean | string | Variant | DbusValue[];

export class DbusWireError extends Error {
  override name = "DbusWireError";
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, a: 4, "(": 8, "{": 8, v: 1, h: 4 };
const BASIC = "ybnqiuxtdsogh";

/** Length of the single complete type starting at `sig[at]`. */
function typeLength(sig: string, at: number): number {
  const c = sig[at];
  if (c === undefined) throw new DbusWireError(`signature "${sig}" ends early`);
  if (BASIC.includes(c) || c === "v") return 1;
  if (c === "a") return 1 + typeLength(sig, at + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let i = at + 1;
    while (sig[i] !== close) {
      if (i >= sig.length) throw new DbusWireError(`signature "${sig}": unclosed ${c}`);
      i += typeLength(sig, i);
    }
    return i + 1 - at;
  }
  throw new DbusWireError(`signature "${sig}": unknown type code "${c}"`);
}

/** Splits a signature into its complete types: "sa(sv)" → ["s", "a(sv)"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const n = typeLength(sig, i);
    out.push(sig.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Fields of a struct or dict entry type: "(sv)" → ["s", "v"]. */
function innerTypes(t: string): string[] {
  return splitSignature(t.slice(1, -1));
}

export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private reserve(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  align(n: number) {
    const pad = (n - (this.length % n)) % n;
    this.reserve(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }

  private u32At(at: number, v: number) {
    this.buf.writeUInt32LE(v, at);
  }

  private str(s: string, lenBytes: 1 | 4) {
    const data = Buffer.from(s, "utf8");
    if (data.includes(0)) throw new DbusWireError("strings must not contain NUL");
    if (lenBytes === 4) this.write("u", data.length);
    else this.write("y", data.length);
    this.reserve(data.length + 1);
    data.copy(this.buf, this.length);
    this.buf[this.length + data.length] = 0;
    this.length += data.length + 1;
  }

  /** Writes one value of the complete type `t`. */
  write(t: string, v: DbusValue): this {
    const c = t[0]!;
    this.align(ALIGN[c] ?? 1);
    switch (c) {
      case "y":
        this.reserve(1);
        this.buf.writeUInt8(v as number, this.length++);
        return this;
      case "b":
        return this.write("u", v ? 1 : 0);
      case "n":
      case "q":
        this.reserve(2);
        if (c === "n") this.buf.writeInt16LE(v as number, this.length);
        else this.buf.writeUInt16LE(v as number, this.length);
        this.length += 2;
        return this;
      case "i":
      case "u":
      case "h":
        this.reserve(4);
        if (c === "i") this.buf.writeInt32LE(v as number, this.length);
        else this.buf.writeUInt32LE(v as number, this.length);
        this.length += 4;
        return this;
      case "x":
      case "t":
        this.reserve(8);
        if (c === "x") this.buf.writeBigInt64LE(BigInt(v as bigint), this.length);
        else this.buf.writeBigUInt64LE(BigInt(v as bigint), this.length);
        this.length += 8;
        return this;
      case "d":
        this.reserve(8);
        this.buf.writeDoubleLE(v as number, this.length);
        this.length += 8;
        return this;
      case "s":
      case "o":
        this.str(v as string, 4);
        return this;
      case "g":
        splitSignature(v as string); // refuse malformed signatures before they hit the wire
        this.str(v as string, 1);
        return this;
      case "v": {
        const { sig, value } = v as Variant;
        if (splitSignature(sig).length !== 1) throw new DbusWireError(`variant signature "${sig}" must be one complete type`);
        this.write("g", sig);
        return this.write(sig, value);
      }
      case "a": {
        const elem = t.slice(1);
        const lenAt = this.length;
        this.write("u", 0);
        // The length excludes the padding before the first element, even for an empty array.
        this.align(ALIGN[elem[0]!] ?? 1);
        const start = this.length;
        for (const e of v as DbusValue[]) this.write(elem, e);
        this.u32At(lenAt, this.length - start);
        return this;
      }
      case "(":
      case "{": {
        const fields = innerTypes(t);
        const vals = v as DbusValue[];
        if (!Array.isArray(vals) || vals.length !== fields.length) throw new DbusWireError(`${t} wants ${fields.length} fields`);
        fields.forEach((f, i) => this.write(f, vals[i]!));
        return this;
      }
    }
    throw new DbusWireError(`cannot write type "${t}"`);
  }

  /** Writes values for a whole signature. */
  writeAll(sig: string, values: readonly DbusValue[]): this {
    const types = splitSignature(sig);
    if (types.length !== values.length) throw new DbusWireError(`signature "${sig}" wants ${types.length} values, got ${values.length}`);
    types.forEach((t, i) => this.write(t, values[i]!));
    return this;
  }
}

export class Reader {
  /** Alignment is relative to the message start; `base` is where this buffer sits in it. */
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
    private readonly base = 0,
  ) {}

  align(n: number) {
    this.pos += (n - ((this.base + this.pos) % n)) % n;
  }

  private need(n: number) {
    if (this.pos + n > this.buf.length) throw new DbusWireError(`message truncated (want ${n} bytes at ${this.pos} of ${this.buf.length})`);
  }

  private str(lenBytes: 1 | 4): string {
    const n = lenBytes === 4 ? (this.read("u") as number) : (this.read("y") as number);
    this.need(n + 1);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    if (this.buf[this.pos + n] !== 0) throw new DbusWireError("string is not NUL-terminated");
    this.pos += n + 1;
    return s;
  }

  read(t: string): DbusValue {
    const c = t[0]!;
    this.align(ALIGN[c] ?? 1);
    let v: DbusValue;
    switch (c) {
      case "y":
        this.need(1);
        return this.buf.readUInt8(this.pos++);
      case "b": {
        const u = this.read("u") as number;
        if (u > 1) throw new DbusWireError(`boolean ${u} is neither 0 nor 1`);
        return u === 1;
      }
      case "n":
      case "q":
        this.need(2);
        v = c === "n" ? this.buf.readInt16LE(this.pos) : this.buf.readUInt16LE(this.pos);
        this.pos += 2;
        return v;
      case "i":
      case "u":
      case "h":
        this.need(4);
        v = c === "i" ? this.buf.readInt32LE(this.pos) : this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        return v;
      case "x":
      case "t":
        this.need(8);
        v = c === "x" ? this.buf.readBigInt64LE(this.pos) : this.buf.readBigUInt64LE(this.pos);
        this.pos += 8;
        return v;
      case "d":
        this.need(8);
        v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      case "s":
      case "o":
        return this.str(4);
      case "g":
        return this.str(1);
      case "v": {
        const sig = this.str(1);
        if (splitSignature(sig).length !== 1) throw new DbusWireError(`variant signature "${sig}" must be one complete type`);
        return { sig, value: this.read(sig) };
      }
      case "a": {
        const elem = t.slice(1);
        const n = this.read("u") as number;
        this.align(ALIGN[elem[0]!] ?? 1);
        this.need(n);
        const end = this.pos + n;
        const out: DbusValue[] = [];
        while (this.pos < end) out.push(this.read(elem));
        if (this.pos !== end) throw new DbusWireError("array elements overrun the array length");
        return out;
      }
      case "(":
      case "{":
        return innerTypes(t).map((f) => this.read(f));
    }
    throw new DbusWireError(`cannot read type "${t}"`);
  }

  readAll(sig: string): DbusValue[] {
    return splitSignature(sig).map((t) => this.read(t));
  }
}
