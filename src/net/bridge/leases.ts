// The persistent side of bridge networking: one lease per container per
// network, in /run/zoo/net/<bridge>/leases.json, read and written only under
// one host-wide lock, so concurrent starts never share an address, a host
// port or a half-built bridge. A lease whose owner process has died (zoo
// killed by SIGKILL) is stale: the next locked operation reclaims it.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, procInfo } from "../../runtime/oci/proc-stat.ts";
import { flockExclusive } from "../../sys/libc.ts";
import type { PortMapping } from "../publish.ts";
import { bridgeObserver } from "./observer.ts";

export interface Lease {
  ip: string;
  /** The network's subnet, so the last lease can take the network's rules down without its definition. */
  subnet: string;
  /** Container id (64 hex). */
  id: string;
  name?: string;
  hostname: string;
  /** The process whose life the lease follows: the zoo process of a foreground run. */
  ownerPid: number;
  ownerStart: string;
  /** The container's init, once it exists. */
  pid?: number;
  ports: PortMapping[];
  /** The container's /etc/hosts on the host, rewritten as the network changes. */
  hostsFile?: string;
  veth?: string;
  /** Which of the container's networks: 0 (eth0) is its primary address in /etc/hosts. */
  index?: number;
}

export const NET_RUN_DIR = "/run/zoo/net";
export const LEASE_FILE = "leases.json";

export class LeaseStore {
  constructor(readonly root: string = NET_RUN_DIR) {}

  /** Runs `fn` holding the host-wide network lock. `fn` must not await. */
  locked<T>(fn: () => T): T {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const fd = openSync(join(this.root, "lock"), "a", 0o600);
    try {
      flockExclusive(fd);
      return fn();
    } finally {
      closeSync(fd);
    }
  }

  /** Bridges that have a lease file. */
  bridges(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  }

  read(bridge: string): Lease[] {
    try {
      return JSON.parse(readFileSync(join(this.root, bridge, LEASE_FILE), "utf8")) as Lease[];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }

  /** An empty list removes the bridge's directory. */
  write(bridge: string, leases: Lease[]): void {
    const dir = join(this.root, bridge);
    if (leases.length === 0) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The front door's LEASE writes the same temporary name (docs/design/run-cache.md).
    const tmp = join(dir, `.${LEASE_FILE}.tmp`);
    const text = JSON.stringify(leases, null, 1) + "\n";
    writeFileSync(tmp, text);
    renameSync(tmp, join(dir, LEASE_FILE));
    bridgeObserver.wrote?.(this.root, bridge, text);
  }

  all(): { bridge: string; lease: Lease }[] {
    return this.bridges().flatMap((bridge) => this.read(bridge).map((lease) => ({ bridge, lease })));
  }
}

export const isStale = (l: Lease) => !isAlive(l.ownerPid, l.ownerStart);

/** The calling process as a lease owner. */
export function selfOwner(): { ownerPid: number; ownerStart: string } {
  return { ownerPid: process.pid, ownerStart: procInfo(process.pid)?.startTime ?? "" };
}
