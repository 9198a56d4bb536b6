// The netlink socket against the real kernel, in a throwaway netns (root).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { IFF } from "../../../src/net/netlink/constants.ts";
import { getLink, listAddresses, listLinks, listRoutes, setLinkUp } from "../../../src/net/netlink/ops.ts";
import { NetlinkError, NetlinkSocket } from "../../../src/net/netlink/socket.ts";
import { netlinkIn } from "../../../src/net/netns.ts";
import { IS_ROOT } from "../../helpers/env.ts";

describe.skipIf(!IS_ROOT)("netlink in a container's netns", () => {
  let holder: ReturnType<typeof Bun.spawn>;
  beforeAll(async () => {
    // A process alone in a new netns stands in for a container.
    holder = Bun.spawn(["unshare", "--net", "sleep", "60"], { stdio: ["ignore", "ignore", "inherit"] });
    for (let i = 0; i < 100 && readlinkSync(`/proc/${holder.pid}/ns/net`) === readlinkSync("/proc/self/ns/net"); i++) await Bun.sleep(10);
  });
  afterAll(async () => {
    holder.kill("SIGKILL");
    await holder.exited;
  });

  test("brings lo up inside the netns and leaves this thread in its own netns", () => {
    const mine = readlinkSync("/proc/thread-self/ns/net");
    const nl = netlinkIn(holder.pid);
    try {
      expect(readlinkSync("/proc/thread-self/ns/net")).toBe(mine);
      expect(listLinks(nl).map((l) => l.name)).toEqual(["lo"]);
      const lo = getLink(nl, "lo")!;
      expect(lo.index).toBe(1);
      expect(lo.flags & IFF.LOOPBACK).toBe(IFF.LOOPBACK);
      expect(lo.flags & IFF.UP).toBe(0);
      setLinkUp(nl, "lo");
      expect(getLink(nl, "lo")!.flags & IFF.UP).toBe(IFF.UP);
      expect(listAddresses(nl).map((a) => a.address).sort()).toEqual(["127.0.0.1", "::1"]);
      expect(listRoutes(nl).some((r) => r.dstLen === 0 && r.table === 254)).toBe(false);
    } finally {
      nl.close();
    }
  });

  test("a missing link is null; acting on one is ENODEV with the operation named", () => {
    const nl = netlinkIn(holder.pid);
    try {
      expect(getLink(nl, "eth0")).toBeNull();
      expect(() => setLinkUp(nl, 42)).toThrow(NetlinkError);
      expect(() => setLinkUp(nl, 42)).toThrow("set link 42 up: no such device");
    } finally {
      nl.close();
    }
  });

  test("a socket opened here sees the host's links", () => {
    const nl = NetlinkSocket.open();
    try {
      expect(getLink(nl, "lo")?.index).toBe(1);
      expect(listLinks(nl).length).toBeGreaterThanOrEqual(1);
    } finally {
      nl.close();
    }
  });
});
