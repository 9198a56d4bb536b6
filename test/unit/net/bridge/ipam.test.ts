import { describe, expect, test } from "bun:test";
import { parseSubnet } from "../../../../src/net/cidr.ts";
import { chooseAddress } from "../../../../src/net/bridge/ipam.ts";

const s24 = parseSubnet("192.168.42.0/24")!;
const GW = "192.168.42.1";

describe("chooseAddress", () => {
  test("the lowest free address, never the gateway or one already leased", () => {
    expect(chooseAddress(s24, GW, [])).toBe("192.168.42.2");
    expect(chooseAddress(s24, GW, ["192.168.42.2", "192.168.42.4"])).toBe("192.168.42.3");
  });

  test("a full subnet is an error, not the broadcast address", () => {
    const s30 = parseSubnet("10.0.0.0/30")!; // hosts .1 (gateway) and .2
    expect(chooseAddress(s30, "10.0.0.1", [])).toBe("10.0.0.2");
    expect(() => chooseAddress(s30, "10.0.0.1", ["10.0.0.2"])).toThrow("no free address left in 10.0.0.0/30");
  });

  test("a requested address, bare or in the lab's IP/PREFIX form", () => {
    expect(chooseAddress(s24, GW, [], "192.168.42.10")).toBe("192.168.42.10");
    expect(chooseAddress(s24, GW, [], "192.168.42.10/24")).toBe("192.168.42.10");
  });

  test("a requested address that cannot be had says why", () => {
    expect(() => chooseAddress(s24, GW, [], "192.168.43.10")).toThrow("outside the network's subnet 192.168.42.0/24 (usable 192.168.42.1 to 192.168.42.254)");
    expect(() => chooseAddress(s24, GW, [], "192.168.42.255")).toThrow("outside");
    expect(() => chooseAddress(s24, GW, [], "192.168.42.0")).toThrow("outside");
    expect(() => chooseAddress(s24, GW, [], "192.168.42.10/16")).toThrow("the prefix must be /24");
    expect(() => chooseAddress(s24, GW, [], GW)).toThrow("is the network's gateway");
    expect(() => chooseAddress(s24, GW, ["192.168.42.9"], "192.168.42.9")).toThrow("already in use");
    expect(() => chooseAddress(s24, GW, [], "192.168.42")).toThrow("give an IPv4 address");
    expect(() => chooseAddress(s24, GW, [], "192.168.42.9/24/1")).toThrow("give an IPv4 address");
  });
});
