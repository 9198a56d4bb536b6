// D-Bus messages: the fixed header, the header-field array, the body.
import { DbusWireError, Reader, Writer, type DbusValue, type Variant } from "./wire.ts";

export const enum MessageType {
  MethodCall = 1,
  MethodReturn = 2,
  Error = 3,
  Signal = 4,
}

/** Header field codes from the specification. */
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8, unixFds: 9 } as const;
const FIELD_SIG: Record<number, string> = { 1: "o", 2: "s", 3: "s", 4: "s", 5: "u", 6: "s", 7: "s", 8: "g", 9: "u" };

export const NO_REPLY_EXPECTED = 0x1;

export interface Message {
  type: MessageType;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: DbusValue[];
}

export function encodeMessage(m: Message): Buffer {
  const body = new Writer().writeAll(m.signature, m.body).bytes();
  const fields: [number, Variant][] = [];
  for (const [name, code] of Object.entries(FIELD)) {
    const v = name === "signature" ? (m.signature === "" ? undefined : m.signature) : (m as unknown as Record<string, unknown>)[name];
    if (v !== undefined) fields.push([code, { sig: FIELD_SIG[code]!, value: v as DbusValue }]);
  }
  const w = new Writer()
    .write("y", "l".charCodeAt(0))
    .write("y", m.type)
    .write("y", m.flags)
    .write("y", 1)
    .write("u", body.length)
    .write("u", m.serial)
    .write("a(yv)", fields);
  w.align(8);
  return Buffer.concat([w.bytes(), body]);
}

/** Bytes the whole message needs, from its first 16 bytes; undefined while fewer have arrived. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  if (buf[0] !== 0x6c) throw new DbusWireError("only little-endian messages are supported");
  const bodyLen = buf.readUInt32LE(4);
  const fieldsLen = buf.readUInt32LE(12);
  const headerLen = 16 + fieldsLen + ((8 - (fieldsLen % 8)) % 8);
  return headerLen + bodyLen;
}

export function decodeMessage(buf: Buffer): Message {
  const total = messageLength(buf);
  if (total === undefined || buf.length < total) throw new DbusWireError("message truncated");
  const r = new Reader(buf);
  r.pos = 1;
  const type = r.read("y") as MessageType;
  const flags = r.read("y") as number;
  const version = r.read("y") as number;
  if (version !== 1) throw new DbusWireError(`protocol version ${version} is not 1`);
  const bodyLen = r.read("u") as number;
  const serial = r.read("u") as number;
  const m: Message = { type, flags, serial, signature: "", body: [] };
  const byCode = new Map<number, string>(Object.entries(FIELD).map(([k, v]) => [v, k]));
  for (const f of r.read("a(yv)") as [number, Variant][]) {
    const name = byCode.get(f[0]);
    if (name) (m as unknown as Record<string, unknown>)[name] = f[1].value; // unknown fields are ignored, as the spec asks
  }
  r.align(8);
  const body = buf.subarray(r.pos, r.pos + bodyLen);
  // The body's alignment starts over at 0 because the header ends 8-aligned.
  m.body = m.signature === "" ? [] : new Reader(body).readAll(m.signature);
  return m;
}
