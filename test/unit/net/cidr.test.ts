import { describe, expect, test } from "bun:test";
import { contains, formatSubnet, gatewayOf, hostRange, intToIp, ipToInt, overlaps, parseSubnet, subnetOf } from "../../../src/net/cidr.ts";

describe("cidr", () => {
  test("addresses round-trip through numbers, unsigned above 127.x", () => {
    expect(ipToInt("10.88.0.1")).toBe(0x0a580001);
    expect(ipToInt("255.255.255.255")).toBe(0xffffffff);
    expect(intToIp(0xc0a82a0a)).toBe("192.168.42.10");
    for (const bad of ["10.88.0", "10.88.0.256", "a.b.c.d", "10.88.0.1/16", ""]) expect(ipToInt(bad)).toBeNull();
  });

  test("subnets: prefix 8..30, no host bits", () => {
    expect(parseSubnet("10.88.0.0/16")).toEqual({ base: 0x0a580000, prefix: 16 });
    expect(formatSubnet(parseSubnet("192.168.42.0/24")!)).toBe("192.168.42.0/24");
    for (const bad of ["10.88.0.1/16", "10.0.0.0/7", "10.0.0.0/31", "10.0.0.0", "10.0.0.0/16/2", "10.0.0.0/x"]) expect(parseSubnet(bad)).toBeNull();
  });

  test("membership, overlap, host range and gateway", () => {
    const s = parseSubnet("10.89.3.0/24")!;
    expect(contains(s, ipToInt("10.89.3.200")!)).toBe(true);
    expect(contains(s, ipToInt("10.89.4.1")!)).toBe(false);
    expect(overlaps(s, parseSubnet("10.89.0.0/16")!)).toBe(true);
    expect(overlaps(s, parseSubnet("10.89.4.0/24")!)).toBe(false);
    expect(hostRange(s).map(intToIp)).toEqual(["10.89.3.1", "10.89.3.254"]);
    expect(gatewayOf(s)).toBe("10.89.3.1");
    expect(formatSubnet(subnetOf("192.168.1.7", 24))).toBe("192.168.1.0/24");
  });
});
