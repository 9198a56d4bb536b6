// nf_tables over netlink (NETLINK_NETFILTER), for the one per-container
// change zoo makes to its table: DNAT map elements for published ports.
// Without this every `-p` run spawned nft twice (to add and to remove them).
// Numbers from <linux/netfilter/nfnetlink.h> and <linux/netfilter/nf_tables.h>;
// the layouts match what `nft --debug=netlink,mnl` sends for the same change.
import { AF, NLM_F } from "./constants.ts";
import { attr, type Attr } from "./encode.ts";
import { NetlinkSocket } from "./socket.ts";

export const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
export const NFNL_MSG = { BATCH_BEGIN: 0x10, BATCH_END: 0x11 } as const;
export const NFT_MSG = { GETTABLE: 1, NEWSETELEM: 12, DELSETELEM: 14 } as const;
const NFTA_TABLE_NAME = 1;
const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3 } as const;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM = { KEY: 1, DATA: 2 } as const;
const NFTA_DATA_VALUE = 1;
const NFPROTO_IPV4 = AF.INET;

/** The message type of an nf_tables request. */
export const nftType = (msg: number) => (NFNL_SUBSYS_NFTABLES << 8) | msg;

/** struct nfgenmsg: family, version 0, res_id (big-endian; the subsystem in a batch header). */
export function nfgenmsg(family: number, resId = 0): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = family;
  new DataView(b.buffer).setUint16(2, resId, false);
  return b;
}

/** A batch's opening message names the subsystem it is for. */
export const batchHeader = () => nfgenmsg(AF.UNSPEC, NFNL_SUBSYS_NFTABLES);

export interface PortElement {
  hostPort: number;
  protocol: "tcp" | "udp";
  /** Absent when deleting (the key is enough). */
  to?: { ip: string; port: number };
}

const port = (p: number) => Uint8Array.of(p >> 8, p & 255);

/** ipv4_addr . inet_service: each part of a concatenation takes a multiple of 4 bytes. */
function addrPort(ip: string, p: number): Uint8Array {
  const b = new Uint8Array(8);
  b.set(ip.split(".").map(Number), 0);
  b.set(port(p), 4);
  return b;
}

const value = (type: number, bytes: Uint8Array): Attr => attr.nested(type, [attr.bytes(NFTA_DATA_VALUE, bytes)]);

/** The attributes of a NEWSETELEM or DELSETELEM on one map of `table`. */
export function setElements(table: string, set: string, elems: PortElement[]): Attr[] {
  return [
    attr.str(NFTA_SET_ELEM_LIST.TABLE, table),
    attr.str(NFTA_SET_ELEM_LIST.SET, set),
    attr.nested(
      NFTA_SET_ELEM_LIST.ELEMENTS,
      elems.map((e) =>
        attr.nested(NFTA_LIST_ELEM, [
          value(NFTA_SET_ELEM.KEY, port(e.hostPort)),
          ...(e.to ? [value(NFTA_SET_ELEM.DATA, addrPort(e.to.ip, e.to.port))] : []),
        ]),
      ),
    ),
  ];
}

const mapOf = (e: PortElement) => (e.protocol === "udp" ? "udp_pub" : "tcp_pub");

/**
 * Adds (`create`: a key already there fails with EEXIST) or deletes the
 * elements in one transaction: all of them or none.
 */
export function changePortElements(table: string, op: "create" | "delete", elems: PortElement[], what: string): void {
  if (elems.length === 0) return;
  const bySet = new Map<string, PortElement[]>();
  for (const e of elems) bySet.set(mapOf(e), [...(bySet.get(mapOf(e)) ?? []), e]);
  const nl = NetlinkSocket.open(NETLINK_NETFILTER);
  try {
    nl.transaction(
      what,
      { type: NFNL_MSG.BATCH_BEGIN, header: batchHeader() },
      [...bySet].map(([set, es]) => ({
        type: nftType(op === "create" ? NFT_MSG.NEWSETELEM : NFT_MSG.DELSETELEM),
        flags: op === "create" ? NLM_F.CREATE | NLM_F.EXCL : 0,
        header: nfgenmsg(NFPROTO_IPV4),
        attrs: setElements(table, set, es),
      })),
      { type: NFNL_MSG.BATCH_END, header: batchHeader() },
    );
  } finally {
    nl.close();
  }
}

/** Whether `table ip NAME` exists. */
export function tableExists(table: string): boolean {
  const nl = NetlinkSocket.open(NETLINK_NETFILTER);
  try {
    nl.request(`get table ip ${table}`, { type: nftType(NFT_MSG.GETTABLE), flags: 0, header: nfgenmsg(NFPROTO_IPV4), attrs: [attr.str(NFTA_TABLE_NAME, table)] });
    return true;
  } catch (e) {
    if ((e as { errno?: number }).errno === 2) return false;
    throw e;
  } finally {
    nl.close();
  }
}
