// Parsing what the kernel sends back: a datagram holds one or more messages;
// errors and acks are NLMSG_ERROR carrying a negative errno (0 = ack).
import { align4, IFADDRMSG_LEN, IFINFOMSG_LEN, NLMSG, NLMSG_HDRLEN, nlaType, RTA_HDRLEN, RTMSG_LEN } from "./constants.ts";

export interface Message {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after the nlmsghdr. */
  payload: Uint8Array;
}

export class NetlinkFormatError extends Error {}

export function decodeMessages(buf: Uint8Array): Message[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Message[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = view.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw new NetlinkFormatError(`bad nlmsg_len ${len} at ${off}`);
    out.push({
      type: view.getUint16(off + 4, true),
      flags: view.getUint16(off + 6, true),
      seq: view.getUint32(off + 8, true),
      pid: view.getUint32(off + 12, true),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** For NLMSG_ERROR: the positive errno, or 0 for an ack. */
export function errorCode(m: Message): number {
  if (m.type !== NLMSG.ERROR) throw new NetlinkFormatError(`not an error message (type ${m.type})`);
  if (m.payload.length < 4) throw new NetlinkFormatError("truncated nlmsgerr");
  return -new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true) | 0;
}

export interface ParsedAttr {
  type: number;
  nested: boolean;
  data: Uint8Array;
}

export function decodeAttrs(buf: Uint8Array): ParsedAttr[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ParsedAttr[] = [];
  let off = 0;
  while (off + RTA_HDRLEN <= buf.length) {
    const len = view.getUint16(off, true);
    if (len < RTA_HDRLEN || off + len > buf.length) throw new NetlinkFormatError(`bad rta_len ${len} at ${off}`);
    const raw = view.getUint16(off + 2, true);
    out.push({ type: nlaType(raw), nested: (raw & 0x8000) !== 0, data: buf.subarray(off + RTA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

export const attrMap = (attrs: ParsedAttr[]) => new Map(attrs.map((a) => [a.type, a.data]));
export const attrString = (d: Uint8Array | undefined) => (d ? new TextDecoder().decode(d[d.length - 1] === 0 ? d.subarray(0, -1) : d) : undefined);
export const attrU32 = (d: Uint8Array | undefined) => (d && d.length >= 4 ? new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true) : undefined);

export interface Link {
  index: number;
  type: number;
  flags: number;
  name: string;
  mtu?: number;
}

export function decodeLink(m: Message): Link {
  if (m.payload.length < IFINFOMSG_LEN) throw new NetlinkFormatError("truncated ifinfomsg");
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, IFINFOMSG_LEN);
  const attrs = attrMap(decodeAttrs(m.payload.subarray(IFINFOMSG_LEN)));
  return {
    type: v.getUint16(2, true),
    index: v.getInt32(4, true),
    flags: v.getUint32(8, true),
    name: attrString(attrs.get(3 /* IFLA_IFNAME */)) ?? "",
    mtu: attrU32(attrs.get(4 /* IFLA_MTU */)),
  };
}

export interface Address {
  family: number;
  prefixlen: number;
  scope: number;
  index: number;
  address: string;
}

export function decodeAddress(m: Message): Address {
  if (m.payload.length < IFADDRMSG_LEN) throw new NetlinkFormatError("truncated ifaddrmsg");
  const p = m.payload;
  const attrs = attrMap(decodeAttrs(p.subarray(IFADDRMSG_LEN)));
  const raw = attrs.get(2 /* IFA_LOCAL */) ?? attrs.get(1 /* IFA_ADDRESS */);
  return {
    family: p[0]!,
    prefixlen: p[1]!,
    scope: p[3]!,
    index: new DataView(p.buffer, p.byteOffset + 4, 4).getUint32(0, true),
    address: raw ? formatIp(raw) : "",
  };
}

export interface Route {
  family: number;
  dstLen: number;
  table: number;
  type: number;
  dst?: string;
  gateway?: string;
  oif?: number;
}

export function decodeRoute(m: Message): Route {
  if (m.payload.length < RTMSG_LEN) throw new NetlinkFormatError("truncated rtmsg");
  const p = m.payload;
  const attrs = attrMap(decodeAttrs(p.subarray(RTMSG_LEN)));
  const dst = attrs.get(1);
  const gw = attrs.get(5);
  return {
    family: p[0]!,
    dstLen: p[1]!,
    // RTA_TABLE holds tables above 255; rtm_table says 252 (RT_TABLE_COMPAT) then.
    table: attrU32(attrs.get(15)) ?? p[4]!,
    type: p[7]!,
    dst: dst ? formatIp(dst) : undefined,
    gateway: gw ? formatIp(gw) : undefined,
    oif: attrU32(attrs.get(4)),
  };
}

export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
  }
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}
