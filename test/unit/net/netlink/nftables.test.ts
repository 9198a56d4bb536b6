// nf_tables requests against the bytes `nft --debug=netlink,mnl` sends for
// `add element ip T tcp_pub { 8080 : 10.88.0.2 . 80 }` (<linux/netfilter/nf_tables.h>).
import { expect, test } from "bun:test";
import { NLM_F } from "../../../../src/net/netlink/constants.ts";
import { encodeMessage } from "../../../../src/net/netlink/encode.ts";
import { batchHeader, NFNL_MSG, NFT_MSG, nfgenmsg, nftType, setElements } from "../../../../src/net/netlink/nftables.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("a batch opens and closes with the nftables subsystem in nfgenmsg's big-endian res_id", () => {
  const m = encodeMessage({ type: NFNL_MSG.BATCH_BEGIN, flags: NLM_F.REQUEST, seq: 0, header: batchHeader() });
  expect(hex(m)).toBe("14000000" + "1000" + "0100" + "00000000" + "00000000" + "0000000a");
});

test("a map element: the port key, and the address . port data with the port padded to 4 bytes", () => {
  const m = encodeMessage({
    type: nftType(NFT_MSG.NEWSETELEM),
    flags: NLM_F.REQUEST | NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK,
    seq: 1,
    header: nfgenmsg(2),
    attrs: setElements("zoo", "tcp_pub", [{ hostPort: 8080, protocol: "tcp", to: { ip: "10.88.0.2", port: 80 } }]),
  });
  expect(hex(m.subarray(4, 8))).toBe("0c0a" + "0506"); // NFT_MSG_NEWSETELEM in subsystem 10; REQUEST|ACK|EXCL|CREATE
  expect(hex(m.subarray(16, 20))).toBe("02000000"); // NFPROTO_IPV4
  expect(hex(m.subarray(20))).toBe(
    "0800" + "0100" + "7a6f6f00" + // NFTA_SET_ELEM_LIST_TABLE "zoo"
      "0c00" + "0200" + "7463705f70756200" + // NFTA_SET_ELEM_LIST_SET "tcp_pub"
      "2400" + "0380" + // NFTA_SET_ELEM_LIST_ELEMENTS, nested
      "2000" + "0180" + // NFTA_LIST_ELEM
      "0c00" + "0180" + "0600" + "0100" + "1f900000" + // NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE 8080 }
      "1000" + "0280" + "0c00" + "0100" + "0a580002" + "00500000", // NFTA_SET_ELEM_DATA { 10.88.0.2 . 80 }
  );
});

test("deleting needs only the key", () => {
  const attrs = setElements("zoo", "udp_pub", [{ hostPort: 53, protocol: "udp" }]);
  const m = encodeMessage({ type: nftType(NFT_MSG.DELSETELEM), flags: NLM_F.REQUEST, seq: 1, header: nfgenmsg(2), attrs });
  expect(hex(m.subarray(m.length - 20))).toBe("1400" + "0380" + "1000" + "0180" + "0c00" + "0180" + "0600" + "0100" + "00350000"); // ELEMENTS { LIST_ELEM { KEY { 53 } } }
});
