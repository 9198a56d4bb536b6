// Published ports: host 127.0.0.1:hostPort → container containerPort (TCP).
// Loopback only: publishing on every host address is a later, explicit choice.
import { UsageError } from "../util/errors.ts";

export interface PortMapping {
  hostPort: number;
  containerPort: number;
}

const port = (s: string, what: string, raw: string) => {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`${what}="${raw}": ports are hostPort:containerPort, each 1-65535`);
  return n;
};

/** "8080:80,8443:443" → mappings; empty or unset → none. */
export function parsePublish(raw: string | undefined, what = "ZOO_PUBLISH"): PortMapping[] {
  if (!raw) return [];
  return raw.split(",").map((one) => {
    const parts = one.trim().split(":");
    if (parts.length !== 2) throw new UsageError(`${what}="${raw}": use hostPort:containerPort (e.g. 8080:80)`);
    return { hostPort: port(parts[0]!, what, raw), containerPort: port(parts[1]!, what, raw) };
  });
}
