// IPv4 subnets as numbers: parsing, membership and the usable host range.
export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export const intToIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** "10.88.0.0/16" → subnet; null when malformed or when host bits are set. */
export function parseSubnet(s: string): Subnet | null {
  const [ip, p, extra] = s.split("/");
  if (extra !== undefined || p === undefined || !/^\d{1,2}$/.test(p)) return null;
  const prefix = Number(p);
  const n = ipToInt(ip!);
  if (n === null || prefix > 30 || prefix < 8) return null;
  if ((n & mask(prefix)) >>> 0 !== n) return null;
  return { base: n, prefix };
}

export const formatSubnet = (s: Subnet) => `${intToIp(s.base)}/${s.prefix}`;

export const contains = (s: Subnet, ip: number) => ((ip & mask(s.prefix)) >>> 0) === s.base;

export const overlaps = (a: Subnet, b: Subnet) => {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
};

/** First and last address a container may get: not the network, not broadcast. */
export function hostRange(s: Subnet): [number, number] {
  const size = 2 ** (32 - s.prefix);
  return [s.base + 1, s.base + size - 2];
}

/** The gateway is the subnet's first host address, as Docker and podman do. */
export const gatewayOf = (s: Subnet) => intToIp(s.base + 1);

/** The subnet an interface address belongs to: 192.168.1.7/24 → 192.168.1.0/24. */
export const subnetOf = (ip: string, prefix: number): Subnet => ({ base: ((ipToInt(ip) ?? 0) & mask(prefix)) >>> 0, prefix });
