import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNetworkArgs } from "../../../src/cli/zoo/network.ts";
import { parseSubnet } from "../../../src/net/cidr.ts";
import { Networks } from "../../../src/net/bridge/networks.ts";

describe("zoo network: parsing", () => {
  test("create with --subnet in both spellings; ls -q; inspect/rm many", () => {
    expect(parseNetworkArgs(["create", "--subnet", "10.90.0.0/24", "front"])).toEqual({ cmd: "create", name: "front", subnet: "10.90.0.0/24" });
    expect(parseNetworkArgs(["create", "--subnet=10.90.0.0/24", "--driver=bridge", "front"])).toEqual({ cmd: "create", name: "front", subnet: "10.90.0.0/24" });
    expect(parseNetworkArgs(["ls", "-q"])).toEqual({ cmd: "ls", quiet: true });
    expect(parseNetworkArgs(["list"])).toEqual({ cmd: "ls", quiet: false });
    expect(parseNetworkArgs(["remove", "a", "b"])).toEqual({ cmd: "rm", refs: ["a", "b"] });
    expect(parseNetworkArgs([])).toEqual({ cmd: "help" });
  });

  test("mistakes name the problem", () => {
    expect(() => parseNetworkArgs(["create"])).toThrow("give the network a name");
    expect(() => parseNetworkArgs(["create", "--subnet"])).toThrow("--subnet needs a value");
    expect(() => parseNetworkArgs(["create", "-d", "macvlan", "x"])).toThrow('driver "macvlan" is not supported');
    expect(() => parseNetworkArgs(["create", "a", "b"])).toThrow("one name only");
    expect(() => parseNetworkArgs(["ls", "--all"])).toThrow("unknown argument --all");
    expect(() => parseNetworkArgs(["rm"])).toThrow("give at least one network name");
    expect(() => parseNetworkArgs(["connect", "x"])).toThrow('unknown command "connect"');
  });
});

describe("network definitions", () => {
  const withStore = (f: (n: Networks) => void) => {
    const dir = mkdtempSync(join(tmpdir(), "zoo-unit-net-"));
    try {
      f(new Networks(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("the built-in bridge network is always there and cannot be removed", () =>
    withStore((n) => {
      expect(n.list().map((d) => [d.name, d.bridge, d.subnet])).toEqual([["bridge", "zoo0", "10.88.0.0/16"]]);
      expect(() => n.remove(n.get("bridge"))).toThrow("built in");
    }));

  test("new networks take the next free 10.89.N.0/24, skip host subnets, and get a zoo-prefixed bridge", () =>
    withStore((n) => {
      const a = n.create("a", undefined, []);
      const b = n.create("b", undefined, [parseSubnet("10.89.1.0/24")!]);
      expect([a.subnet, a.gateway, b.subnet]).toEqual(["10.89.0.0/24", "10.89.0.1", "10.89.2.0/24"]);
      expect(a.bridge).toMatch(/^zoo[0-9a-f]{8}$/);
      expect(n.find(a.id.slice(0, 6))?.name).toBe("a");
      n.remove(a);
      expect(n.find("a")).toBeNull();
    }));

  test("bad names, reserved names, duplicates and overlapping subnets are refused", () =>
    withStore((n) => {
      n.create("front", "10.90.0.0/24", []);
      expect(() => n.create("-x", undefined, [])).toThrow("use letters, digits");
      expect(() => n.create("host", undefined, [])).toThrow("is reserved");
      expect(() => n.create("front", undefined, [])).toThrow("already exists");
      expect(() => n.create("c", "10.90.0.0/16", [])).toThrow("overlaps 10.90.0.0/24");
      expect(() => n.create("d", "10.88.5.0/24", [])).toThrow("overlaps 10.88.0.0/16");
      expect(() => n.create("e", "10.91.0.1/24", [])).toThrow("no host bits");
      expect(() => n.get("nope")).toThrow("zoo network create nope");
    }));
});
