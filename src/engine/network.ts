// `zoo run --network`: which network layer a container gets, decided before
// anything exists (so a bad flag or a missing helper leaves nothing behind),
// then carried out once the child exists.
//
//   bridge (rootful default) | NAME — a bridge network (src/net/bridge)
//   pasta | slirp4netns (rootless default: pasta if installed) — user mode
//   none — lo only;  host — the host's network namespace
//   container:NAME|ID — another running container's network namespace
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Mount, Spec } from "../oci/spec.ts";
import type { Cleanup } from "../util/cleanup.ts";
import { UsageError, ZooError } from "../util/errors.ts";
import { connectBridge, recordConnected, reserveBridge, type BridgeAttachment } from "../net/bridge/attach.ts";
import { LeaseStore } from "../net/bridge/leases.ts";
import { Networks, type NetworkDef } from "../net/bridge/networks.ts";
import { contains, ipToInt, parseSubnet } from "../net/cidr.ts";
import { hostsFile, resolvFromHost } from "../net/hosts.ts";
import { pickHelper, resolvConf, setupNetwork, type Helper } from "../net/index.ts";
import type { PortMapping } from "../net/publish.ts";

export type NetworkChoice =
  | { kind: "bridge"; net: NetworkDef; /** Further networks: eth1, eth2, … */ more: NetworkDef[] }
  | { kind: "user"; helper: Helper }
  | { kind: "none" }
  | { kind: "host" }
  | { kind: "container"; pid: number; ref: string; hostsFile?: string };

export interface NetworkFlags {
  network?: string;
  /** A second and further --network, bridge networks only (the first is `network`). */
  moreNetworks?: string[];
  ip?: string;
  publish: PortMapping[];
}

export function chooseNetwork(f: NetworkFlags, storeRoot: string, rootless: boolean): NetworkChoice {
  const mode = f.network ?? (rootless ? "user" : f.ip !== undefined ? networkForIp(f.ip, storeRoot) : "bridge");
  let c: NetworkChoice;
  if (mode === "none" || mode === "host") c = { kind: mode };
  else if (mode === "user" || mode === "pasta" || mode === "slirp4netns") c = { kind: "user", helper: userHelper(mode, f.network !== undefined) };
  else if (mode.startsWith("container:")) c = joinContainer(mode.slice("container:".length));
  else c = { kind: "bridge", net: new Networks(storeRoot).get(mode === "default" ? "bridge" : mode), more: [] };

  if (f.moreNetworks?.length) {
    if (c.kind !== "bridge") throw new UsageError(`--network ${mode} cannot be combined with another --network; only bridge networks can`);
    const networks = new Networks(storeRoot);
    for (const m of f.moreNetworks) {
      const d = ["none", "host", "pasta", "slirp4netns", "user"].includes(m) || m.startsWith("container:") ? null : networks.get(m === "default" ? "bridge" : m);
      if (!d) throw new UsageError(`--network ${m} cannot be combined with another --network; only bridge networks can`);
      if ([c.net, ...c.more].some((x) => x.id === d.id)) throw new UsageError(`--network ${m} is given twice`);
      c.more.push(d);
    }
  }

  if (f.ip !== undefined && c.kind !== "bridge") throw new UsageError(`--ip needs a bridge network (--network bridge or a network from zoo network create), not --network ${mode}`);
  if (f.publish.length && (c.kind === "none" || c.kind === "host" || c.kind === "container")) {
    throw new UsageError(`-p has no effect with --network ${mode}: publish ports on the container that owns the network`);
  }
  if (c.kind === "host" && rootless) throw new UsageError("--network host: a rootless container cannot share the host's network namespace here; use pasta");
  return c;
}

/**
 * The contain lab's `--ip 192.168.42.10/24` without --network: the bridge
 * network whose subnet that is (made once with zoo network create --subnet).
 */
function networkForIp(ip: string, storeRoot: string): string {
  const [addr, prefix] = ip.split("/");
  const n = ipToInt(addr ?? "");
  if (prefix === undefined || n === null || !/^\d{1,2}$/.test(prefix)) return "bridge";
  const nets = new Networks(storeRoot).list();
  const fits = (d: NetworkDef) => {
    const sub = parseSubnet(d.subnet);
    return !!sub && sub.prefix === Number(prefix) && contains(sub, n);
  };
  const hit = nets.find((d) => d.name === "bridge" && fits(d)) ?? nets.find(fits);
  if (hit) return hit.name;
  if (nets.some((d) => d.name === "bridge" && contains(parseSubnet(d.subnet)!, n))) return "bridge";
  const p = Number(prefix);
  const base = p === 0 ? 0 : (n & ((0xffffffff << (32 - p)) >>> 0)) >>> 0;
  const sub = `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join(".")}/${p}`;
  throw new UsageError(`--ip ${ip}: no network has the subnet ${sub}: create one once with zoo network create --subnet ${sub} NAME (then --ip picks it), or give --network`);
}

// A rootless container gets user-mode networking by default; when that cannot
// work here the error also names the way out (no network at all).
function userHelper(mode: string, asked: boolean): Helper {
  try {
    return pickHelper(mode === "user" ? undefined : mode, asked ? `--network ${mode}` : "rootless default network");
  } catch (e) {
    if (asked || !(e instanceof ZooError)) throw e;
    throw new ZooError(`${e.message}; or run with --network none`);
  }
}

/** container:NAME — a running container on a bridge network, found by name, id or id prefix. */
function joinContainer(ref: string): NetworkChoice {
  if (!ref) throw new UsageError("--network container: needs a container name or id (container:web)");
  if (process.geteuid!() !== 0) throw new UsageError("--network container: is rootful only for now");
  const found = new LeaseStore().all().filter(({ lease }) => lease.name === ref || lease.id === ref || (ref.length >= 3 && lease.id.startsWith(ref)));
  // A container on several networks has a lease on each: one container.
  const live = [...new Map(found.filter(({ lease }) => lease.pid).map((x) => [x.lease.id, x])).values()];
  if (live.length === 0) throw new ZooError(`--network container:${ref}: no running container with that name or id`);
  if (live.length > 1) throw new UsageError(`--network container:${ref}: more than one container matches; give more of the id`);
  const l = live[0]!.lease;
  return { kind: "container", pid: l.pid!, ref, hostsFile: l.hostsFile };
}

/** Namespaces and the /etc/hosts and /etc/resolv.conf mounts for the choice; writes the files into `dir`. */
export function applyNetworkToSpec(spec: Spec, c: NetworkChoice, dir: string): { hostsFile: string } {
  const ns = spec.linux!.namespaces!.filter((n) => n.type !== "network");
  if (c.kind === "container") ns.push({ type: "network", path: `/proc/${c.pid}/ns/net` });
  else if (c.kind !== "host") ns.push({ type: "network" });
  spec.linux!.namespaces = ns;

  const hosts = c.kind === "container" && c.hostsFile ? c.hostsFile : join(dir, "hosts");
  if (hosts === join(dir, "hosts")) {
    const text = c.kind === "host" ? readHost("/etc/hosts") : hostsFile(null, spec.hostname ?? "localhost");
    writeFileSync(hosts, text, { mode: 0o644 });
  }
  const resolv = join(dir, "resolv.conf");
  const hostResolv = readHost("/etc/resolv.conf");
  writeFileSync(resolv, c.kind === "user" ? resolvConf(c.helper) : c.kind === "host" ? hostResolv : resolvFromHost(hostResolv), { mode: 0o644 });
  const bind = (destination: string, source: string): Mount => ({ destination, type: "bind", source, options: ["rbind", "nosuid", "nodev", "noexec"] });
  spec.mounts = [...(spec.mounts ?? []), bind("/etc/hosts", hosts), bind("/etc/resolv.conf", resolv)];
  return { hostsFile: hosts };
}

const readHost = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
};

export interface PreparedNetwork {
  attachment?: BridgeAttachment;
  onChild(pid: number, cleanup: Cleanup): Promise<void>;
}

/** Reserves what must exist before the container (a bridge lease); returns the onChild step. */
export async function prepareNetwork(
  c: NetworkChoice,
  f: NetworkFlags,
  who: { id: string; name?: string; hostname: string; hostsFile: string },
  cleanup: Cleanup,
): Promise<PreparedNetwork> {
  if (c.kind === "bridge") {
    // --ip and -p belong to the first network, as with Docker.
    const all: BridgeAttachment[] = [];
    for (const [index, net] of [c.net, ...c.more].entries()) {
      const first = index === 0;
      const req = { net, id: who.id, name: who.name, hostname: who.hostname, ip: first ? f.ip : undefined, publish: first ? f.publish : [], hostsFile: who.hostsFile, index };
      all.push(await reserveBridge(req, cleanup));
    }
    return {
      attachment: all[0],
      onChild: async (pid, cl) => {
        for (const a of all) connectBridge(a, pid, cl);
        for (const a of all) recordConnected(a, pid);
      },
    };
  }
  if (c.kind === "user") return { onChild: (pid, cl) => setupNetwork("user", pid, cl, { helper: c.helper, publish: f.publish }) };
  if (c.kind === "none") return { onChild: (pid, cl) => setupNetwork("none", pid, cl) };
  return { onChild: async () => {} };
}
