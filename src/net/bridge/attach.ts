// A container on a bridge network, rootful: reserve (address, host ports,
// under the lock, before the container exists, so bad input fails early)
// then connect (the veth pair, once the child exists). The network's bridge
// and rules are made by its first container and kept until `zoo network rm`
// (taking a bridge down costs the kernel ~50 ms of RCU grace periods, more
// than the rest of a run). The undo steps go on the run's Cleanup; a lease
// left by a zoo that was killed is reclaimed by the next locked operation (gc).
import { readdirSync, writeFileSync } from "node:fs";
import type { Cleanup } from "../../util/cleanup.ts";
import { UsageError, ZooError } from "../../util/errors.ts";
import { parseSubnet } from "../cidr.ts";
import { hostsFile, type HostEntry } from "../hosts.ts";
import { LOOPBACK_IFINDEX, netlinkIn } from "../netns.ts";
import { addAddress, addDefaultRoute } from "../netlink/addresses.ts";
import { createBridge, createVeth, deleteLink } from "../netlink/links.ts";
import { getLink, setLinkUp } from "../netlink/ops.ts";
import { IFF } from "../netlink/constants.ts";
import type { PortMapping } from "../publish.ts";
import { chooseAddress } from "./ipam.ts";
import { isStale, LeaseStore, selfOwner, type Lease } from "./leases.ts";
import type { NetworkDef } from "./networks.ts";
import { bridgeObserver } from "./observer.ts";
import { addNetworkScript, deleteTableScript, nft, portElements, removeNetworkScript, TABLE, tableExists, tableScript } from "./nft.ts";
import { changePortElements } from "../netlink/nftables.ts";
import { NetlinkError, NetlinkSocket } from "../netlink/socket.ts";
import { checkHostPortsFree } from "./ports.ts";

export interface BridgeRequest {
  net: NetworkDef;
  id: string;
  name?: string;
  hostname: string;
  /** --ip: "10.88.0.10" or "10.88.0.10/16". */
  ip?: string;
  publish: PortMapping[];
  /** The container's /etc/hosts on the host; kept listing the network's other containers. */
  hostsFile: string;
  /** Which of the container's networks this is: 0 is eth0 and carries the default route. */
  index?: number;
}

export interface BridgeAttachment {
  net: NetworkDef;
  id: string;
  ip: string;
  prefix: number;
  veth: string;
  /** The interface inside the container: eth0, eth1, … */
  ifname: string;
  index: number;
}

export async function reserveBridge(r: BridgeRequest, cleanup: Cleanup, store = new LeaseStore()): Promise<BridgeAttachment> {
  if (process.geteuid!() !== 0) {
    throw new UsageError(`network "${r.net.name}": bridge networks need root; rootless containers use --network pasta or --network slirp4netns`);
  }
  const subnet = parseSubnet(r.net.subnet)!;
  await checkHostPortsFree(r.publish);
  const ip = store.locked(() => {
    gc(store);
    const all = store.all();
    if (r.name) {
      const clash = all.find((x) => x.lease.name === r.name && x.lease.id !== r.id);
      if (clash) throw new ZooError(`the name "${r.name}" is already in use by a running container: choose another with --name`);
    }
    for (const m of r.publish) {
      const holder = all.find((x) => x.lease.ports.some((p) => p.hostPort === m.hostPort && p.protocol === m.protocol));
      if (holder) throw new ZooError(`host port ${m.hostPort}/${m.protocol} is already published by container ${holder.lease.name ?? holder.lease.id.slice(0, 12)}`);
    }
    const leases = store.read(r.net.bridge);
    const ip = chooseAddress(subnet, r.net.gateway, leases.map((l) => l.ip), r.ip);
    ensureUp(r.net);
    bridgeObserver.reserved?.({ net: r.net, alone: leases.length === 0, root: store.root });
    if (r.publish.length) publish(ip, r.publish);
    const lease: Lease = { ip, subnet: r.net.subnet, id: r.id, name: r.name, hostname: r.hostname, ...selfOwner(), ports: r.publish, hostsFile: r.hostsFile, index: r.index ?? 0 };
    store.write(r.net.bridge, [...leases, lease]);
    refreshHosts(store);
    return ip;
  });
  cleanup.add(`release ${ip} on ${r.net.name}`, () => store.locked(() => release(store, r.net.bridge, r.id)));
  const index = r.index ?? 0;
  // Host-side names stay within IFNAMSIZ (15): z, the short ID (as the
  // hostname and cgroups have it, so a cached run's template has one value
  // fewer to find), then the index from 1 on (up to 99).
  const veth = `z${r.id.slice(0, 12)}${index ? index : ""}`;
  return { net: r.net, id: r.id, ip, prefix: subnet.prefix, veth, ifname: `eth${index}`, index };
}

/** The veth pair; its far end is eth<index> inside `pid`'s netns, addressed (and routed, for eth0). */
export function connectBridge(a: BridgeAttachment, pid: number, cleanup: Cleanup): void {
  const host = NetlinkSocket.open();
  try {
    createVeth(host, { host: a.veth, master: a.net.bridge, peer: a.ifname, peerPid: pid, up: true });
    cleanup.add(`delete ${a.veth}`, () => void withHost((nl) => deleteLink(nl, a.veth)));
  } finally {
    host.close();
  }
  const inner = netlinkIn(pid);
  try {
    setLinkUp(inner, LOOPBACK_IFINDEX);
    addAddress(inner, a.ifname, a.ip, a.prefix);
    setLinkUp(inner, a.ifname);
    if (a.index === 0) addDefaultRoute(inner, a.ifname, a.net.gateway);
  } finally {
    inner.close();
  }
}

function withHost<T>(fn: (nl: NetlinkSocket) => T): T {
  const nl = NetlinkSocket.open();
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

const sysctl = (path: string, value: string) => writeFileSync(`/proc/sys/net/ipv4/${path}`, value);

/**
 * The network's bridge with its gateway address, and its rules: made once,
 * by its first container. The bridge is made last, so its presence means the
 * rest is there; a bring-up cut short is done again in full next time, and
 * so are the rules when zoo's table is gone (a flushed ruleset).
 */
function ensureUp(net: NetworkDef) {
  const up = withHost((nl) => {
    const l = getLink(nl, net.bridge);
    if (l && !(l.flags & IFF.UP)) setLinkUp(nl, l.index);
    return l !== null;
  });
  const table = tableExists();
  if (up && table) return;
  bridgeObserver.unrecordable?.(`network ${net.name} was brought up`);
  // Outbound NAT needs forwarding; like Docker, zoo turns it on and leaves it on.
  sysctl("ip_forward", "1");
  nft((table ? "" : tableScript()) + addNetworkScript(net.bridge, net.subnet), `setting up network ${net.name}`);
  if (up) return;
  withHost((nl) => {
    createBridge(nl, net.bridge);
    try {
      addAddress(nl, net.bridge, net.gateway, parseSubnet(net.subnet)!.prefix);
      // Lets DNAT'ed 127.0.0.1 traffic be routed out of the bridge (see nft.ts).
      sysctl(`conf/${net.bridge}/route_localnet`, "1");
      setLinkUp(nl, net.bridge);
    } catch (e) {
      deleteLink(nl, net.bridge);
      throw e;
    }
  });
}

const EEXIST = 17;

/** The container's DNAT elements, all or none; a port in the map that no lease holds is named. */
function publish(ip: string, ports: PortMapping[]) {
  try {
    changePortElements(TABLE, "create", portElements(ip, ports), "publishing ports: nftables");
  } catch (e) {
    if (!(e instanceof NetlinkError && e.errno === EEXIST)) throw e;
    const list = ports.map((m) => `${m.hostPort}/${m.protocol}`).join(", ");
    throw new ZooError(`-p: host port ${list} is already in zoo's nftables DNAT map, held by no container; remove it with nft delete element ip zoo tcp_pub '{ PORT }' (udp_pub for udp)`);
  }
}

/** zoo's bridges on the host (every one's name starts with "zoo"; veths are z and 12 hex digits). */
const zooBridges = () => readdirSync("/sys/class/net").filter((l) => l.startsWith("zoo"));

/** A network going away: its bridge and rules, and zoo's table with the last bridge. */
function takeDown(bridge: string, subnet: string) {
  withHost((nl) => deleteLink(nl, bridge));
  try {
    nft(removeNetworkScript(bridge, subnet), `removing network ${bridge}`);
  } catch {
    // Never brought up here, or someone flushed the ruleset: nothing to remove.
  }
  if (zooBridges().length === 0 && tableExists()) nft(deleteTableScript(), "removing zoo's nftables table");
}

/**
 * `zoo network rm`: takes the network's bridge and rules down, unless a
 * container (of any store) holds a lease on it; then refuses with their names.
 */
export function removeNetworkDevices(net: NetworkDef, store = new LeaseStore()): void {
  store.locked(() => {
    gc(store);
    const users = store.read(net.bridge);
    if (users.length) {
      throw new ZooError(`network ${net.name} is in use by ${users.length} running container(s) (${users.map((l) => l.name ?? l.id.slice(0, 12)).join(", ")}): stop them first`);
    }
    takeDown(net.bridge, net.subnet);
  });
}

function release(store: LeaseStore, bridge: string, id: string) {
  const leases = store.read(bridge);
  const mine = leases.find((l) => l.id === id);
  if (!mine) return;
  const rest = leases.filter((l) => l !== mine);
  if (mine.ports.length) {
    try {
      changePortElements(TABLE, "delete", portElements(mine.ip, mine.ports), "unpublishing ports");
    } catch {
      // Already gone: the table was removed under us.
    }
  }
  if (mine.veth) withHost((nl) => deleteLink(nl, mine.veth!));
  store.write(bridge, rest);
  refreshHosts(store);
}

/** Reclaims leases of zoo processes that died without cleaning up. */
export function gc(store: LeaseStore): void {
  for (const bridge of store.bridges()) {
    for (const l of store.read(bridge)) {
      if (!isStale(l)) continue;
      // Not this run's doing, and not every run's: a replay must not repeat it.
      bridgeObserver.unrecordable?.("stale leases were reclaimed");
      release(store, bridge, l.id);
    }
  }
}

/**
 * Every container's /etc/hosts lists, by name and hostname, the containers it
 * shares a network with (on any of its networks, at that network's address).
 */
function refreshHosts(store: LeaseStore) {
  const byBridge = store.bridges().map((b) => store.read(b));
  const entry = (l: Lease): HostEntry => ({ ip: l.ip, names: [l.name ?? "", l.hostname] });
  for (const leases of byBridge) {
    for (const l of leases) {
      if (!l.hostsFile || (l.index ?? 0) !== 0) continue;
      const others = byBridge.filter((ls) => ls.some((x) => x.id === l.id)).flatMap((ls) => ls.filter((o) => o.id !== l.id));
      try {
        writeFileSync(l.hostsFile, hostsFile(entry(l), l.hostname, others.map(entry)));
      } catch {
        // The container is going away and its directory with it.
      }
    }
  }
}

/**
 * `zoo-bun __zoo-release-lease BRIDGE ID`: a replayed run's teardown found
 * the network changed while it ran (docs/design/run-cache.md, RELEASE), so
 * the lease goes as TypeScript lets one go. Only the lease's owner, our
 * parent (the front door), may have it released.
 */
export function releaseParentLease(bridge: string, id: string, store = new LeaseStore()): void {
  store.locked(() => {
    const mine = store.read(bridge).find((l) => l.id === id);
    if (!mine) return;
    if (mine.ownerPid !== process.ppid) throw new ZooError(`the lease of ${id.slice(0, 12)} on ${bridge} belongs to pid ${mine.ownerPid}, not to the caller`);
    release(store, bridge, id);
  });
}

/** Records the container's pid and veth in its lease (for container:NAME and for cleanup after a crash). */
export function recordConnected(a: BridgeAttachment, pid: number, store = new LeaseStore()): void {
  store.locked(() => {
    const leases = store.read(a.net.bridge);
    const mine = leases.find((l) => l.id === a.id);
    if (!mine) return;
    mine.pid = pid;
    mine.veth = a.veth;
    store.write(a.net.bridge, leases);
  });
}

/** A detached container's lease follows its monitor (the zoo-shim), not the zoo process that started it. */
export function transferLease(bridge: string, id: string, ownerPid: number, ownerStart: string, store = new LeaseStore()): void {
  store.locked(() => {
    const leases = store.read(bridge);
    const mine = leases.find((l) => l.id === id);
    if (!mine) return;
    mine.ownerPid = ownerPid;
    mine.ownerStart = ownerStart;
    store.write(bridge, leases);
  });
}

/** Gives back a container's address, ports and veth (its monitor's exit command, or a repair). */
export function releaseBridge(bridge: string, id: string, store = new LeaseStore()): void {
  store.locked(() => release(store, bridge, id));
}
