import { describe, expect, test } from "bun:test";
import { hostsFile, resolvFromHost } from "../../../src/net/hosts.ts";

describe("/etc/hosts", () => {
  test("own address with hostname and name first, then neighbours; duplicates dropped", () => {
    const text = hostsFile({ ip: "10.88.0.2", names: ["web", "web"] }, "abc123", [
      { ip: "10.88.0.3", names: ["db"] },
      { ip: "10.88.0.4", names: [] },
    ]);
    expect(text.split("\n")).toEqual([
      "127.0.0.1\tlocalhost",
      "::1\tlocalhost ip6-localhost ip6-loopback",
      "10.88.0.2\tabc123 web",
      "10.88.0.3\tdb",
      "",
    ]);
  });

  test("without an address of its own the hostname resolves to loopback", () => {
    expect(hostsFile(null, "box")).toContain("127.0.1.1\tbox\n");
  });
});

describe("/etc/resolv.conf from the host's", () => {
  test("loopback resolvers dropped (unreachable from a container), search and options kept", () => {
    const host = "# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nnameserver ::1\nsearch example.org\noptions edns0 trust-ad\n";
    expect(resolvFromHost(host, ["10.0.2.3"])).toBe("# written by zoo\nnameserver 192.0.2.53\nsearch example.org\noptions edns0 trust-ad\n");
  });

  test("only loopback resolvers: the fallback takes their place", () => {
    expect(resolvFromHost("nameserver 127.0.0.53\n", ["169.254.1.1"])).toBe("# written by zoo\nnameserver 169.254.1.1\n");
    expect(resolvFromHost("", [])).toBe("# written by zoo\n\n");
  });
});
