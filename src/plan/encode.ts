// Serializes plan records to the binary TLV format of docs/design/plan-format.md.
import { PLAN_HEADER_SIZE, PLAN_MAGIC, PLAN_MAX_SIZE, PLAN_VERSION } from "./ids.ts";

const utf8 = new TextEncoder();

/** Builds one record's payload field by field; the field order is the contract. */
export class Payload {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.push(b);
  }

  i32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return this.push(b);
  }

  u64(v: bigint | number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
    return this.push(b);
  }

  /** NUL-terminated string with its length first; `null` encodes "absent". */
  str(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.u32(0);
    if (s.includes("\0")) throw new Error(`string contains a NUL byte: ${JSON.stringify(s)}`);
    // Encoded with its terminator: the NUL is the last byte.
    const b = utf8.encode(s + "\0");
    return this.u32(b.length).push(b);
  }

  blob(bytes: Uint8Array): this {
    return this.u32(bytes.length).push(bytes);
  }

  raw(bytes: Uint8Array): this {
    return this.push(bytes);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

export interface PlanRecord {
  type: number;
  payload: Uint8Array;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

export function encodePlan(records: PlanRecord[]): Uint8Array {
  return encodeFramed(records, { magic: PLAN_MAGIC, version: PLAN_VERSION, headerSize: PLAN_HEADER_SIZE, maxSize: PLAN_MAX_SIZE, what: "plan" });
}

/** What tells one file of this framing from another: the run cache's entries share it (docs/design/run-cache.md). */
export interface Framing {
  magic: number;
  version: number;
  headerSize: number;
  maxSize: number;
  /** Names the file in the size error. */
  what: string;
}

/** Header (magic, version, header size, total size, record count), then each record padded to 4 bytes. */
export function encodeFramed(records: PlanRecord[], f: Framing): Uint8Array {
  let total = f.headerSize;
  for (const r of records) total += 8 + r.payload.length + pad4(r.payload.length);
  if (total > f.maxSize) throw new Error(`${f.what} too large: ${total} bytes (limit ${f.maxSize})`);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, f.magic, true);
  dv.setUint16(4, f.version, true);
  dv.setUint16(6, f.headerSize, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, records.length, true);
  let off = f.headerSize;
  for (const r of records) {
    dv.setUint16(off, r.type, true);
    dv.setUint16(off + 2, 0, true);
    dv.setUint32(off + 4, r.payload.length, true);
    out.set(r.payload, off + 8);
    off += 8 + r.payload.length + pad4(r.payload.length);
  }
  return out;
}
