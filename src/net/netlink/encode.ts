// Building rtnetlink requests: a fixed family header followed by attributes.
// Attributes are a tree (nested ones for link kinds such as veth), so a
// request is described as data and serialised in one pass.
import { align4, IFADDRMSG_LEN, IFINFOMSG_LEN, NLA_F_NESTED, NLMSG_HDRLEN, RTA_HDRLEN, RTMSG_LEN } from "./constants.ts";

export type Attr =
  | { type: number; bytes: Uint8Array }
  | { type: number; nested: Attr[] };

const enc = new TextEncoder();

export const attr = {
  bytes: (type: number, bytes: Uint8Array): Attr => ({ type, bytes }),
  /** NUL-terminated, as the kernel expects for names (IFLA_IFNAME, IFLA_INFO_KIND). */
  str: (type: number, s: string): Attr => ({ type, bytes: enc.encode(s + "\0") }),
  u8: (type: number, v: number): Attr => ({ type, bytes: Uint8Array.of(v) }),
  u32: (type: number, v: number): Attr => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return { type, bytes: b };
  },
  nested: (type: number, children: Attr[]): Attr => ({ type, nested: children }),
  /** A family header followed by attributes, as VETH_INFO_PEER carries the peer's ifinfomsg. */
  headed: (type: number, header: Uint8Array, children: Attr[]): Attr => {
    const body = encodeAttrs(children);
    const b = new Uint8Array(align4(header.length) + body.length);
    b.set(header, 0);
    b.set(body, align4(header.length));
    return { type, bytes: b };
  },
};

export function encodeAttrs(attrs: Attr[]): Uint8Array {
  const buf = new Uint8Array(attrsLength(attrs));
  writeAttrs(buf, new DataView(buf.buffer), 0, attrs);
  return buf;
}

export function attrsLength(attrs: Attr[]): number {
  return attrs.reduce((n, a) => n + align4(attrLength(a)), 0);
}

function attrLength(a: Attr): number {
  return RTA_HDRLEN + ("bytes" in a ? a.bytes.length : attrsLength(a.nested));
}

/** Writes attrs at `off`, returns the offset after the last (padded) one. */
function writeAttrs(buf: Uint8Array, view: DataView, off: number, attrs: Attr[]): number {
  for (const a of attrs) {
    const len = attrLength(a);
    view.setUint16(off, len, true);
    view.setUint16(off + 2, "bytes" in a ? a.type : a.type | NLA_F_NESTED, true);
    if ("bytes" in a) buf.set(a.bytes, off + RTA_HDRLEN);
    else writeAttrs(buf, view, off + RTA_HDRLEN, a.nested);
    off += align4(len);
  }
  return off;
}

export interface Request {
  type: number;
  flags: number;
  seq: number;
  /** The family header (ifinfomsg, ifaddrmsg, rtmsg...), already encoded. */
  header: Uint8Array;
  attrs?: Attr[];
}

export function encodeMessage(r: Request): Uint8Array {
  const attrs = r.attrs ?? [];
  const len = NLMSG_HDRLEN + align4(r.header.length) + attrsLength(attrs);
  const buf = new Uint8Array(len);
  const view = new DataView(buf.buffer);
  view.setUint32(0, len, true);
  view.setUint16(4, r.type, true);
  view.setUint16(6, r.flags, true);
  view.setUint32(8, r.seq, true);
  // nlmsg_pid 0: the kernel fills in our port id.
  view.setUint32(12, 0, true);
  buf.set(r.header, NLMSG_HDRLEN);
  writeAttrs(buf, view, NLMSG_HDRLEN + align4(r.header.length), attrs);
  return buf;
}

export interface IfInfo {
  family?: number;
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

export function ifinfomsg(i: IfInfo = {}): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, i.family ?? 0);
  v.setUint16(2, i.type ?? 0, true);
  v.setInt32(4, i.index ?? 0, true);
  v.setUint32(8, i.flags ?? 0, true);
  v.setUint32(12, i.change ?? 0, true);
  return b;
}

export interface IfAddr {
  family: number;
  prefixlen?: number;
  flags?: number;
  scope?: number;
  index?: number;
}

export function ifaddrmsg(a: IfAddr): Uint8Array {
  const b = new Uint8Array(IFADDRMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, a.family);
  v.setUint8(1, a.prefixlen ?? 0);
  v.setUint8(2, a.flags ?? 0);
  v.setUint8(3, a.scope ?? 0);
  v.setUint32(4, a.index ?? 0, true);
  return b;
}

export interface RtMsg {
  family: number;
  dstLen?: number;
  srcLen?: number;
  tos?: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
  flags?: number;
}

export function rtmsg(r: RtMsg): Uint8Array {
  const b = new Uint8Array(RTMSG_LEN);
  const v = new DataView(b.buffer);
  [r.family, r.dstLen ?? 0, r.srcLen ?? 0, r.tos ?? 0, r.table ?? 0, r.protocol ?? 0, r.scope ?? 0, r.type ?? 0].forEach((x, i) => v.setUint8(i, x));
  v.setUint32(8, r.flags ?? 0, true);
  return b;
}
