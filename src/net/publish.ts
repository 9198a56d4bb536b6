// Published ports: host hostPort → container containerPort, TCP or UDP.
// Docker's short form hostPort:containerPort[/tcp|/udp]; the user-mode
// helpers listen on 127.0.0.1 only, the bridge on every host address.
import { UsageError } from "../util/errors.ts";

export type Protocol = "tcp" | "udp";

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
}

const port = (s: string, what: string, raw: string) => {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`${what}="${raw}": ports are hostPort:containerPort[/tcp|/udp], each 1-65535`);
  return n;
};

/** One "8080:80" or "5353:53/udp". */
export function parsePort(one: string, what: string, raw = one): PortMapping {
  const [pair, proto = "tcp", more] = one.trim().split("/");
  if (more !== undefined || (proto !== "tcp" && proto !== "udp")) {
    throw new UsageError(`${what}="${raw}": the protocol after / is tcp or udp (e.g. 5353:53/udp)`);
  }
  const parts = pair!.split(":");
  if (parts.length !== 2) throw new UsageError(`${what}="${raw}": use hostPort:containerPort (e.g. 8080:80)`);
  return { hostPort: port(parts[0]!, what, raw), containerPort: port(parts[1]!, what, raw), protocol: proto };
}

/** "8080:80,8443:443" → mappings; empty or unset → none. A host port may be published once per protocol. */
export function parsePublish(raw: string | undefined, what = "ZOO_PUBLISH"): PortMapping[] {
  if (!raw) return [];
  return checkDistinct(raw.split(",").map((one) => parsePort(one, what, raw)), what);
}

export function checkDistinct(ms: PortMapping[], what: string): PortMapping[] {
  const seen = new Set<string>();
  for (const m of ms) {
    const k = `${m.hostPort}/${m.protocol}`;
    if (seen.has(k)) throw new UsageError(`${what}: host port ${k} is published twice`);
    seen.add(k);
  }
  return ms;
}
