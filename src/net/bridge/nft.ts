// zoo's nftables table: NAT for bridge networks, published ports and the
// isolation of one network from another. Everything lives in `table ip zoo`,
// so zoo never edits anyone else's rules, and per-container state is map and
// set elements (added and deleted by key) instead of rules found by handle.
//
//   subnets    — container subnets, masqueraded on their way out of the host
//   tcp_pub/udp_pub — host port → container address . port (DNAT), the only
//                per-container change, made over netlink (no nft process)
//   isolation  — bridge name → jump to a chain that drops traffic bound for
//                any other zoo bridge
//
// 127.0.0.1:PORT works because the output chain DNATs local traffic too; the
// bridge has route_localnet set and loopback sources are masqueraded to the
// gateway, so the container's reply comes back to the host.
import { ZooError } from "../../util/errors.ts";
import type { PortMapping } from "../publish.ts";
import { tableExists as nftTableExists, type PortElement } from "../netlink/nftables.ts";

export const TABLE = "zoo";

export function tableScript(): string {
  const dnat = (hook: string) => `  chain ${hook} {
    type nat hook ${hook} priority -100; policy accept;
    fib daddr type local dnat ip to tcp dport map @tcp_pub
    fib daddr type local dnat ip to udp dport map @udp_pub
  }`;
  return `table ip ${TABLE} {
  set subnets { type ipv4_addr; flags interval; }
  map tcp_pub { type inet_service : ipv4_addr . inet_service; }
  map udp_pub { type inet_service : ipv4_addr . inet_service; }
  map isolation { type ifname : verdict; }
${dnat("prerouting")}
${dnat("output")}
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    ip saddr 127.0.0.0/8 oifname "zoo*" masquerade
    ip saddr @subnets oifname != "zoo*" masquerade
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname vmap @isolation
  }
}
`;
}

const isoChain = (bridge: string) => `iso-${bridge}`;

/** Idempotent (the chain is flushed before its rule goes in): a bring-up cut short can be run again. */
export function addNetworkScript(bridge: string, subnet: string): string {
  return [
    `add chain ip ${TABLE} ${isoChain(bridge)}`,
    `flush chain ip ${TABLE} ${isoChain(bridge)}`,
    `add rule ip ${TABLE} ${isoChain(bridge)} oifname "zoo*" oifname != "${bridge}" drop`,
    `add element ip ${TABLE} isolation { "${bridge}" : jump ${isoChain(bridge)} }`,
    `add element ip ${TABLE} subnets { ${subnet} }`,
  ].join("\n") + "\n";
}

export function removeNetworkScript(bridge: string, subnet: string): string {
  return [
    `delete element ip ${TABLE} isolation { "${bridge}" }`,
    `delete chain ip ${TABLE} ${isoChain(bridge)}`,
    `delete element ip ${TABLE} subnets { ${subnet} }`,
  ].join("\n") + "\n";
}

/** Published ports as DNAT map elements (set and removed over netlink: src/net/netlink/nftables.ts). */
export function portElements(ip: string, ports: PortMapping[]): PortElement[] {
  return ports.map((m) => ({ hostPort: m.hostPort, protocol: m.protocol, to: { ip, port: m.containerPort } }));
}

export const deleteTableScript = () => `delete table ip ${TABLE}\n`;

const NFT_PATH = "/usr/sbin:/sbin:/usr/bin:/bin";

function nftBinary(): string {
  const nft = Bun.which("nft", { PATH: `${process.env.PATH ?? ""}:${NFT_PATH}` });
  if (!nft) throw new ZooError("bridge networking needs nftables: install it (apt-get install nftables), or use --network none");
  return nft;
}

/** Runs an nft script atomically (one transaction); a failure changes nothing. */
export function nft(script: string, what: string): void {
  const p = Bun.spawnSync([nftBinary(), "-f", "-"], { stdin: new TextEncoder().encode(script), stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) {
    const err = p.stderr.toString().split("\n").find((l) => l.startsWith("Error:")) ?? p.stderr.toString().trim();
    throw new ZooError(`${what}: nftables: ${err.replace(/^Error:\s*/, "")}`);
  }
}

export const tableExists = (): boolean => nftTableExists(TABLE);
