// Address choice for bridge networks, as a pure function over the addresses
// already leased; leases.ts makes it safe across processes.
import { ZooError } from "../../util/errors.ts";
import { contains, formatSubnet, hostRange, intToIp, ipToInt, type Subnet } from "../cidr.ts";

/**
 * `requested` is "10.88.0.10" or "10.88.0.10/16" (the lab's IP/PREFIX form,
 * whose prefix must match the network's). Without it, the lowest free address.
 */
export function chooseAddress(subnet: Subnet, gateway: string, leased: string[], requested?: string): string {
  const taken = new Set(leased.map((ip) => ipToInt(ip)));
  taken.add(ipToInt(gateway));
  const [first, last] = hostRange(subnet);
  if (requested !== undefined) {
    const [ip, prefix, extra] = requested.split("/");
    const n = ipToInt(ip!);
    if (n === null || extra !== undefined || (prefix !== undefined && !/^\d{1,2}$/.test(prefix))) {
      throw new ZooError(`--ip "${requested}": give an IPv4 address, optionally with its prefix (10.88.0.10 or 10.88.0.10/16)`);
    }
    if (prefix !== undefined && Number(prefix) !== subnet.prefix) {
      throw new ZooError(`--ip ${requested}: the network's subnet is ${formatSubnet(subnet)}, so the prefix must be /${subnet.prefix}`);
    }
    if (!contains(subnet, n) || n < first || n > last) {
      throw new ZooError(`--ip ${ip} is outside the network's subnet ${formatSubnet(subnet)} (usable ${intToIp(first)} to ${intToIp(last)})`);
    }
    if (n === ipToInt(gateway)) throw new ZooError(`--ip ${ip} is the network's gateway: choose another address`);
    if (taken.has(n)) throw new ZooError(`--ip ${ip} is already in use by another container on this network`);
    return ip!;
  }
  for (let n = first; n <= last; n++) if (!taken.has(n)) return intToIp(n);
  throw new ZooError(`no free address left in ${formatSubnet(subnet)}`);
}
