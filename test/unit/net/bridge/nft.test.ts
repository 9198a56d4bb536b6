import { describe, expect, test } from "bun:test";
import { addNetworkScript, deleteTableScript, portElements, removeNetworkScript, tableScript } from "../../../../src/net/bridge/nft.ts";

describe("nftables scripts", () => {
  test("one table of zoo's own: NAT for container subnets and loopback, DNAT maps, isolation vmap", () => {
    const t = tableScript();
    expect(t.startsWith("table ip zoo {")).toBe(true);
    expect(t).toContain('ip saddr @subnets oifname != "zoo*" masquerade');
    expect(t).toContain('ip saddr 127.0.0.0/8 oifname "zoo*" masquerade');
    // Published ports from other hosts (prerouting) and from the host itself (output).
    expect(t.match(/dnat ip to tcp dport map @tcp_pub/g)).toHaveLength(2);
    expect(t.match(/dnat ip to udp dport map @udp_pub/g)).toHaveLength(2);
    expect(t).toContain("iifname vmap @isolation");
  });

  test("a network: its isolation chain drops traffic to any other zoo bridge (one rule however often it runs); removal undoes each line", () => {
    expect(addNetworkScript("zooab12cd34", "10.89.0.0/24")).toBe(
      "add chain ip zoo iso-zooab12cd34\n" +
        "flush chain ip zoo iso-zooab12cd34\n" +
        'add rule ip zoo iso-zooab12cd34 oifname "zoo*" oifname != "zooab12cd34" drop\n' +
        'add element ip zoo isolation { "zooab12cd34" : jump iso-zooab12cd34 }\n' +
        "add element ip zoo subnets { 10.89.0.0/24 }\n",
    );
    expect(removeNetworkScript("zooab12cd34", "10.89.0.0/24")).toBe(
      'delete element ip zoo isolation { "zooab12cd34" }\n' +
        "delete chain ip zoo iso-zooab12cd34\n" +
        "delete element ip zoo subnets { 10.89.0.0/24 }\n",
    );
  });

  test("ports: one DNAT element per mapping, tcp and udp apart; the table goes whole", () => {
    const ports = [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" as const },
      { hostPort: 5353, containerPort: 53, protocol: "udp" as const },
    ];
    expect(portElements("10.88.0.2", ports)).toEqual([
      { hostPort: 8080, protocol: "tcp", to: { ip: "10.88.0.2", port: 80 } },
      { hostPort: 5353, protocol: "udp", to: { ip: "10.88.0.2", port: 53 } },
    ]);
    expect(portElements("10.88.0.2", [])).toEqual([]);
    expect(deleteTableScript()).toBe("delete table ip zoo\n");
  });
});
