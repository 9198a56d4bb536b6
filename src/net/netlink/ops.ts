// The rtnetlink operations zoo performs, on a socket in the right netns.
// Each is one request built from encode.ts; veth, bridges, addresses and
// routes will be added here the same way.
import { AF, IFF, IFLA, NLM_F, RTM } from "./constants.ts";
import { decodeAddress, decodeLink, decodeRoute, type Address, type Link, type Route } from "./decode.ts";
import { attr, ifaddrmsg, ifinfomsg, rtmsg } from "./encode.ts";
import { NetlinkError, type NetlinkSocket } from "./socket.ts";

const ENODEV = 19;

export function getLink(nl: NetlinkSocket, name: string): Link | null {
  try {
    const [m] = nl.request(`get link ${name}`, { type: RTM.GETLINK, flags: 0, header: ifinfomsg(), attrs: [attr.str(IFLA.IFNAME, name)] });
    return m ? decodeLink(m) : null;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ENODEV) return null;
    throw e;
  }
}

export function listLinks(nl: NetlinkSocket): Link[] {
  return nl.request("list links", { type: RTM.GETLINK, flags: NLM_F.DUMP, header: ifinfomsg() }).filter((m) => m.type === RTM.NEWLINK).map(decodeLink);
}

export function setLinkUp(nl: NetlinkSocket, link: number | string, up = true): void {
  const index = typeof link === "number" ? link : getLink(nl, link)?.index;
  if (index === undefined) throw new NetlinkError(`set link ${link} up`, ENODEV);
  nl.request(`set link ${link} ${up ? "up" : "down"}`, {
    type: RTM.NEWLINK,
    flags: 0,
    header: ifinfomsg({ index, flags: up ? IFF.UP : 0, change: IFF.UP }),
  });
}

export function listAddresses(nl: NetlinkSocket, family: number = AF.UNSPEC): Address[] {
  return nl.request("list addresses", { type: RTM.GETADDR, flags: NLM_F.DUMP, header: ifaddrmsg({ family }) }).filter((m) => m.type === RTM.NEWADDR).map(decodeAddress);
}

export function listRoutes(nl: NetlinkSocket, family: number = AF.UNSPEC): Route[] {
  return nl.request("list routes", { type: RTM.GETROUTE, flags: NLM_F.DUMP, header: rtmsg({ family }) }).filter((m) => m.type === RTM.NEWROUTE).map(decodeRoute);
}
