// IPv4 addresses and routes on a link, for bridge networks.
import { AF, IFA, NLM_F, RTA, RT_SCOPE, RT_TABLE, RTM, RTN, RTPROT } from "./constants.ts";
import { attr, ifaddrmsg, rtmsg } from "./encode.ts";
import { getLink } from "./ops.ts";
import { NetlinkError, type NetlinkSocket } from "./socket.ts";

const ENODEV = 19;

export function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return Uint8Array.from(parts);
}

function linkIndex(nl: NetlinkSocket, name: string, what: string): number {
  const l = getLink(nl, name);
  if (!l) throw new NetlinkError(what, ENODEV);
  return l.index;
}

export function addAddress(nl: NetlinkSocket, link: string, ip: string, prefix: number): void {
  const what = `add address ${ip}/${prefix} to ${link}`;
  const index = linkIndex(nl, link, what);
  const bytes = ipv4Bytes(ip);
  nl.request(what, {
    type: RTM.NEWADDR,
    flags: NLM_F.CREATE | NLM_F.EXCL,
    header: ifaddrmsg({ family: AF.INET, prefixlen: prefix, index }),
    attrs: [attr.bytes(IFA.LOCAL, bytes), attr.bytes(IFA.ADDRESS, bytes)],
  });
}

export function addDefaultRoute(nl: NetlinkSocket, link: string, gateway: string): void {
  const what = `add default route via ${gateway} dev ${link}`;
  const index = linkIndex(nl, link, what);
  nl.request(what, {
    type: RTM.NEWROUTE,
    flags: NLM_F.CREATE | NLM_F.EXCL,
    header: rtmsg({ family: AF.INET, table: RT_TABLE.MAIN, protocol: RTPROT.STATIC, scope: RT_SCOPE.UNIVERSE, type: RTN.UNICAST }),
    attrs: [attr.bytes(RTA.GATEWAY, ipv4Bytes(gateway)), attr.u32(RTA.OIF, index)],
  });
}
