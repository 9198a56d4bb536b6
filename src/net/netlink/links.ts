// Creating and removing the links a bridge network is made of: the bridge,
// and a veth pair whose far end is born inside the container's netns.
import { AF, IFF, IFLA, IFLA_INFO, NLM_F, RTM, VETH_INFO_PEER } from "./constants.ts";
import { attr, ifinfomsg } from "./encode.ts";
import { getLink } from "./ops.ts";
import { NetlinkError, type NetlinkSocket } from "./socket.ts";

const ENODEV = 19;
const CREATE = NLM_F.CREATE | NLM_F.EXCL;

function indexOf(nl: NetlinkSocket, name: string, what: string): number {
  const l = getLink(nl, name);
  if (!l) throw new NetlinkError(what, ENODEV);
  return l.index;
}

export function createBridge(nl: NetlinkSocket, name: string, mtu?: number): void {
  nl.request(`create bridge ${name}`, {
    type: RTM.NEWLINK,
    flags: CREATE,
    header: ifinfomsg(),
    attrs: [
      attr.str(IFLA.IFNAME, name),
      ...(mtu ? [attr.u32(IFLA.MTU, mtu)] : []),
      attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "bridge")]),
    ],
  });
}

export interface VethSpec {
  /** The end that stays in this netns, enslaved to `master`. */
  host: string;
  master: string;
  /** The other end, created directly inside the netns of `peerPid` under this name. */
  peer: string;
  peerPid: number;
  mtu?: number;
  /**
   * The host end born up (IFF_UP in its ifinfomsg): no separate request. Not
   * the peer: it is opened before the pair is linked, which veth refuses (ENOTCONN).
   */
  up?: boolean;
}

/**
 * One request makes both ends: the peer never exists in the host netns, so
 * its name ("eth0") cannot clash with a host interface, and a failure leaves
 * no half-made pair.
 */
export function createVeth(nl: NetlinkSocket, v: VethSpec): void {
  const master = indexOf(nl, v.master, `create veth ${v.host}: bridge ${v.master}`);
  const mtu = v.mtu ? [attr.u32(IFLA.MTU, v.mtu)] : [];
  const up = v.up ? { flags: IFF.UP, change: IFF.UP } : {};
  nl.request(`create veth ${v.host}`, {
    type: RTM.NEWLINK,
    flags: CREATE,
    header: ifinfomsg(up),
    attrs: [
      attr.str(IFLA.IFNAME, v.host),
      ...mtu,
      attr.u32(IFLA.MASTER, master),
      attr.nested(IFLA.LINKINFO, [
        attr.str(IFLA_INFO.KIND, "veth"),
        attr.nested(IFLA_INFO.DATA, [
          attr.headed(VETH_INFO_PEER, ifinfomsg({ family: AF.UNSPEC }), [
            attr.str(IFLA.IFNAME, v.peer),
            ...mtu,
            attr.u32(IFLA.NET_NS_PID, v.peerPid),
          ]),
        ]),
      ]),
    ],
  });
}

/**
 * Deletes a link by name, in one request (no lookup first); false when it
 * was already gone. Deleting one veth end removes both.
 */
export function deleteLink(nl: NetlinkSocket, name: string): boolean {
  try {
    nl.request(`delete link ${name}`, { type: RTM.DELLINK, flags: 0, header: ifinfomsg(), attrs: [attr.str(IFLA.IFNAME, name)] }, ENODEV);
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ENODEV) return false;
    throw e;
  }
  return true;
}
