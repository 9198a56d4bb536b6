// rtnetlink encoding and decoding against hand-written byte layouts
// (<linux/netlink.h>, <linux/rtnetlink.h>: little-endian on every arch zoo runs on).
import { expect, test } from "bun:test";
import { AF, IFF, IFLA, IFLA_INFO, NLM_F, NLMSG, RTM, RT_TABLE } from "../../../src/net/netlink/constants.ts";
import { attrMap, attrString, decodeAddress, decodeAttrs, decodeLink, decodeMessages, decodeRoute, errorCode, formatIp } from "../../../src/net/netlink/decode.ts";
import { attr, encodeMessage, ifaddrmsg, ifinfomsg, rtmsg } from "../../../src/net/netlink/encode.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));

test("set link up: nlmsghdr + ifinfomsg, no attributes", () => {
  const m = encodeMessage({ type: RTM.NEWLINK, flags: NLM_F.REQUEST | NLM_F.ACK, seq: 7, header: ifinfomsg({ index: 1, flags: IFF.UP, change: IFF.UP }) });
  expect(hex(m)).toBe(
    "20000000" + "1000" + "0500" + "07000000" + "00000000" + // len 32, RTM_NEWLINK, REQUEST|ACK, seq 7, pid 0
      "00" + "00" + "0000" + "01000000" + "01000000" + "01000000", // family, pad, type, index 1, IFF_UP, change IFF_UP
  );
});

test("get link by name: IFLA_IFNAME is NUL-terminated and padded to 4", () => {
  const m = encodeMessage({ type: RTM.GETLINK, flags: NLM_F.REQUEST, seq: 1, header: ifinfomsg(), attrs: [attr.str(IFLA.IFNAME, "lo")] });
  expect(m.length).toBe(40);
  expect(hex(m.subarray(0, 4))).toBe("28000000");
  expect(hex(m.subarray(32))).toBe("0700" + "0300" + "6c6f00" + "00"); // rta_len 7 (unpadded), IFLA_IFNAME, "lo\0", pad
});

test("nested attributes carry NLA_F_NESTED and padded lengths", () => {
  const m = encodeMessage({
    type: RTM.NEWLINK,
    flags: NLM_F.REQUEST | NLM_F.CREATE | NLM_F.EXCL,
    seq: 2,
    header: ifinfomsg(),
    attrs: [attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "veth")]), attr.u32(IFLA.MTU, 1500)],
  });
  expect(hex(m.subarray(6, 8))).toBe("0106"); // 0x0601: REQUEST|EXCL|CREATE
  expect(hex(m.subarray(32))).toBe(
    "1000" + "1280" + // len 16, IFLA_LINKINFO | NLA_F_NESTED
      "0900" + "0100" + "7665746800" + "000000" + // IFLA_INFO_KIND "veth\0" + pad
      "0800" + "0400" + "dc050000", // IFLA_MTU 1500
  );
  const [outer] = decodeAttrs(m.subarray(32));
  expect(outer).toMatchObject({ type: IFLA.LINKINFO, nested: true });
  expect(attrString(attrMap(decodeAttrs(outer!.data)).get(IFLA_INFO.KIND))).toBe("veth");
});

test("ifaddrmsg and rtmsg layouts", () => {
  expect(hex(ifaddrmsg({ family: AF.INET, prefixlen: 24, scope: 0, index: 2 }))).toBe("02" + "18" + "00" + "00" + "02000000");
  expect(hex(rtmsg({ family: AF.INET, table: RT_TABLE.MAIN, protocol: 4, scope: 0, type: 1 }))).toBe("02000000fe040001" + "00000000");
});

test("an ack and an error: NLMSG_ERROR with 0 or -errno, echoing the request header", () => {
  const ack = bytes("24000000 0200 0001 07000000 39300000  00000000  20000000 1000 0500 07000000 00000000");
  const err = bytes("24000000 0200 0000 08000000 39300000  edffffff  28000000 1200 0100 08000000 00000000");
  const msgs = decodeMessages(new Uint8Array([...ack, ...err]));
  expect(msgs.map((m) => [m.type, m.seq, m.pid])).toEqual([[NLMSG.ERROR, 7, 12345], [NLMSG.ERROR, 8, 12345]]);
  expect(errorCode(msgs[0]!)).toBe(0);
  expect(errorCode(msgs[1]!)).toBe(19); // ENODEV
});

test("decodes a RTM_NEWLINK reply", () => {
  const body = "00 00 0403 01000000 49000100 00000000" + "0700 0300 6c6f00 00" + "0800 0400 00000100";
  const len = 16 + bytes(body).length;
  const [m] = decodeMessages(bytes(`${len.toString(16).padStart(2, "0")}000000 1000 0000 01000000 00000000 ${body}`));
  expect(decodeLink(m!)).toEqual({ index: 1, type: 772, flags: 0x10049, name: "lo", mtu: 65536 });
});

test("decodes addresses and a default route", () => {
  const addr = decodeAddress({ type: RTM.NEWADDR, flags: 0, seq: 0, pid: 0, payload: bytes("02 18 00 00 02000000 0800 0200 0a000264") });
  expect(addr).toEqual({ family: AF.INET, prefixlen: 24, scope: 0, index: 2, address: "10.0.2.100" });
  const route = decodeRoute({ type: RTM.NEWROUTE, flags: 0, seq: 0, pid: 0, payload: bytes("02 00 00 00 fe 04 00 01 00000000 0800 0f00 fe000000 0800 0500 0a000202 0800 0400 02000000") });
  expect(route).toEqual({ family: AF.INET, dstLen: 0, table: 254, type: 1, dst: undefined, gateway: "10.0.2.2", oif: 2 });
});

test("rejects a truncated message instead of reading past it", () => {
  expect(() => decodeMessages(bytes("40000000 1000 0000 01000000 00000000"))).toThrow(/bad nlmsg_len/);
  expect(() => decodeAttrs(bytes("0900 0300 6c6f00"))).toThrow(/bad rta_len/);
});

test("formats addresses", () => {
  expect(formatIp(bytes("7f000001"))).toBe("127.0.0.1");
  expect(formatIp(bytes("fd000000000000000000000000000002"))).toBe("fd00::2");
});
