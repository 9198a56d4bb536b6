// Network definitions: the built-in "bridge" network (device zoo0) and the
// user-defined ones `zoo network create` writes, one JSON file each in the
// store. A network's bridge and rules are made by its first container and
// kept until `zoo network rm` (attach.ts); the built-in one's stay.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError, ZooError } from "../../util/errors.ts";
import { formatSubnet, gatewayOf, overlaps, parseSubnet, type Subnet } from "../cidr.ts";

export interface NetworkDef {
  name: string;
  id: string;
  driver: "bridge";
  /** Host device; every zoo bridge's name starts with "zoo" (the nftables rules match on it). */
  bridge: string;
  subnet: string;
  gateway: string;
  created: string;
  builtin?: boolean;
}

export const DEFAULT_NETWORK: NetworkDef = {
  name: "bridge",
  id: "0".repeat(64),
  driver: "bridge",
  bridge: "zoo0",
  subnet: "10.88.0.0/16",
  gateway: "10.88.0.1",
  created: "1970-01-01T00:00:00.000Z",
  builtin: true,
};

/** Names that select a mode rather than a network. */
export const RESERVED = ["bridge", "host", "none", "pasta", "slirp4netns", "default"];
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export class Networks {
  constructor(readonly storeRoot: string) {}

  private get dir() {
    return join(this.storeRoot, "networks");
  }

  list(): NetworkDef[] {
    const user = existsSync(this.dir)
      ? readdirSync(this.dir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(readFileSync(join(this.dir, f), "utf8")) as NetworkDef)
      : [];
    return [DEFAULT_NETWORK, ...user.sort((a, b) => a.name.localeCompare(b.name))];
  }

  /** By name, full id or unique id prefix. */
  find(ref: string): NetworkDef | null {
    const all = this.list();
    const exact = all.find((n) => n.name === ref || n.id === ref);
    if (exact) return exact;
    const byPrefix = ref.length >= 3 ? all.filter((n) => n.id.startsWith(ref)) : [];
    if (byPrefix.length > 1) throw new UsageError(`network id prefix "${ref}" is ambiguous: give more characters`);
    return byPrefix[0] ?? null;
  }

  get(ref: string): NetworkDef {
    const n = this.find(ref);
    if (!n) throw new ZooError(`network "${ref}" not found: create it with zoo network create ${ref}, or list them with zoo network ls`);
    return n;
  }

  /** `hostSubnets` are subnets already on the host's interfaces, which a new network must not overlap. */
  create(name: string, subnetArg: string | undefined, hostSubnets: Subnet[]): NetworkDef {
    if (!NAME_RE.test(name)) throw new UsageError(`network name "${name}": use letters, digits, _ . - (starting with a letter or digit, at most 63)`);
    if (RESERVED.includes(name)) throw new UsageError(`network name "${name}" is reserved: choose another`);
    if (this.find(name)) throw new ZooError(`network "${name}" already exists`);
    const taken = [...this.list().map((n) => parseSubnet(n.subnet)!), ...hostSubnets];
    let subnet: Subnet;
    if (subnetArg !== undefined) {
      const s = parseSubnet(subnetArg);
      if (!s) throw new UsageError(`--subnet "${subnetArg}": give an IPv4 network with a prefix of 8 to 30 and no host bits, e.g. 10.90.0.0/24`);
      const clash = taken.find((t) => overlaps(t, s));
      if (clash) throw new ZooError(`--subnet ${subnetArg} overlaps ${formatSubnet(clash)}, which is in use: choose another`);
      subnet = s;
    } else {
      subnet = freeSubnet(taken);
    }
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    const def: NetworkDef = {
      name,
      id,
      driver: "bridge",
      bridge: `zoo${id.slice(0, 8)}`,
      subnet: formatSubnet(subnet),
      gateway: gatewayOf(subnet),
      created: new Date().toISOString(),
    };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, JSON.stringify(def, null, 2) + "\n");
    renameSync(tmp, join(this.dir, `${name}.json`));
    return def;
  }

  remove(def: NetworkDef): void {
    if (def.builtin) throw new UsageError(`network "${def.name}" is built in and cannot be removed`);
    rmSync(join(this.dir, `${def.name}.json`), { force: true });
  }
}

/** The first 10.89.N.0/24 nothing uses, as podman numbers its networks. */
function freeSubnet(taken: Subnet[]): Subnet {
  for (let n = 0; n < 256; n++) {
    const s = parseSubnet(`10.89.${n}.0/24`)!;
    if (!taken.some((t) => overlaps(t, s))) return s;
  }
  throw new ZooError("no free subnet left in 10.89.0.0/16: give one with --subnet");
}
