// `zoo network ...`: the definitions in the store, with the live leases.
import { defaultStoreRoot } from "../image/store.ts";
import type { NetworkCommand } from "../cli/zoo/network.ts";
import { NETWORK_USAGE } from "../cli/zoo/network.ts";
import { LeaseStore, type Lease } from "../net/bridge/leases.ts";
import { gc, removeNetworkDevices } from "../net/bridge/attach.ts";
import { Networks, type NetworkDef } from "../net/bridge/networks.ts";
import { formatSubnet, parseSubnet, subnetOf, type Subnet } from "../net/cidr.ts";
import { AF } from "../net/netlink/constants.ts";
import { listAddresses } from "../net/netlink/ops.ts";
import { NetlinkSocket } from "../net/netlink/socket.ts";
import { UsageError } from "../util/errors.ts";

export function zooNetwork(c: NetworkCommand): number {
  const nets = new Networks(defaultStoreRoot());
  const leases = new LeaseStore();
  switch (c.cmd) {
    case "help":
      process.stdout.write(NETWORK_USAGE);
      return 0;
    case "create": {
      const def = nets.create(c.name, c.subnet, hostSubnets(nets));
      process.stdout.write(def.id + "\n");
      return 0;
    }
    case "ls":
      return list(nets.list(), c.quiet);
    case "inspect": {
      const live = liveLeases(leases);
      const out = c.refs.map((r) => inspect(nets.get(r), live.get(nets.get(r).bridge) ?? []));
      process.stdout.write(JSON.stringify(out, null, 4) + "\n");
      return 0;
    }
    case "rm": {
      let rc = 0;
      for (const r of c.refs) {
        try {
          const def = nets.get(r);
          if (def.builtin) throw new UsageError(`network "${def.name}" is built in and cannot be removed`);
          // The bridge and its rules outlive containers (attach.ts); they go with the network.
          if (process.geteuid!() === 0) removeNetworkDevices(def, leases);
          nets.remove(def);
          process.stdout.write(r + "\n");
        } catch (e) {
          // Like docker: each name is tried; the failures are reported, the exit status says some failed.
          process.stderr.write(`zoo: ${(e as Error).message}\n`);
          rc = 1;
        }
      }
      return rc;
    }
  }
}

function liveLeases(store: LeaseStore): Map<string, Lease[]> {
  const m = new Map<string, Lease[]>();
  if (process.geteuid!() !== 0) return m;
  store.locked(() => gc(store));
  for (const { bridge, lease } of store.all()) m.set(bridge, [...(m.get(bridge) ?? []), lease]);
  return m;
}

/** Subnets on the host's interfaces now (other bridges, VPNs, the LAN): a new network must avoid them. */
function hostSubnets(nets: Networks): Subnet[] {
  const nl = NetlinkSocket.open();
  try {
    const ours = new Set(nets.list().map((n) => n.subnet));
    return listAddresses(nl, AF.INET)
      .map((a) => subnetOf(a.address, a.prefixlen))
      .filter((s) => !ours.has(formatSubnet(s)));
  } finally {
    nl.close();
  }
}

function list(defs: NetworkDef[], quiet: boolean): number {
  if (quiet) {
    for (const d of defs) process.stdout.write(d.id.slice(0, 12) + "\n");
    return 0;
  }
  const rows = [["NETWORK ID", "NAME", "DRIVER", "SUBNET", "BRIDGE"], ...defs.map((d) => [d.id.slice(0, 12), d.name, d.driver, d.subnet, d.bridge])];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)) + 3);
  for (const r of rows) process.stdout.write(r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(w[i]!))).join("") + "\n");
  return 0;
}

/** Docker's shape, for tools that read `docker network inspect`. */
function inspect(d: NetworkDef, leases: Lease[]) {
  const prefix = parseSubnet(d.subnet)!.prefix;
  return {
    Name: d.name,
    Id: d.id,
    Created: d.created,
    Scope: "local",
    Driver: d.driver,
    EnableIPv6: false,
    IPAM: { Driver: "default", Config: [{ Subnet: d.subnet, Gateway: d.gateway }] },
    Internal: false,
    Containers: Object.fromEntries(leases.map((l) => [l.id, { Name: l.name ?? "", IPv4Address: `${l.ip}/${prefix}`, Ports: l.ports }])),
    Options: { "com.docker.network.bridge.name": d.bridge },
    Labels: {},
  };
}
