// Rootless `zoo run`: user-mode networking (pasta by default, slirp4netns on
// request) with ports published through the helper's own forwarding.
//
// NETWORK RULE: only 127.0.0.1 on the host and the container's own netns.
// /dev/net/tun is opened to 0666 (Debian's default) for these tests and its
// mode restored afterwards.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { fetchBanner as banner, helperPids, randomPort } from "../../helpers/net.ts";
import { ensureTestUser, expectNoLeaks, IS_ROOT, leakSnapshot, requireBuild, run, ZOO, type LeakSnapshot, type TestUser } from "../../helpers/env.ts";

const TUN = "/dev/net/tun";

describe.skipIf(!IS_ROOT)("zoo run with user-mode networking", () => {
  let user: TestUser;
  let tunMode = 0;
  let before: LeakSnapshot;
  let helpersBefore: number[] = [];
  beforeAll(() => {
    requireBuild();
    user = ensureTestUser();
    tunMode = statSync(TUN).mode & 0o7777;
    chmodSync(TUN, 0o666);
    before = leakSnapshot();
    helpersBefore = helperPids();
  });
  afterEach(async () => {
    const leaks = await expectNoLeaks(before);
    const added = (now: string[], then: string[]) => now.filter((x) => !then.includes(x));
    expect({ mounts: added(leaks.mounts, before.mounts), tmpdirs: added(leaks.tmpdirs, before.tmpdirs) }).toEqual({ mounts: [], tmpdirs: [] });
    let extra = helperPids().filter((p) => !helpersBefore.includes(p));
    for (let i = 0; i < 40 && extra.length; i++) {
      await Bun.sleep(50);
      extra = helperPids().filter((p) => !helpersBefore.includes(p));
    }
    expect(extra).toEqual([]);
  });
  afterAll(() => chmodSync(TUN, tunMode));

  const zoo = (args: string[]) => run([ZOO, ...args], { asUser: user, timeoutMs: 30_000 });

  test("the default is pasta: eth0 with an address and a default route, pasta's resolver", async () => {
    const r = await zoo(["run", "--rm", "busybox", "sh", "-c", "ip -o -4 addr show eth0 | wc -l; ip route | grep -c '^default'; cat /etc/resolv.conf | grep nameserver"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n1\nnameserver 169.254.1.1\n");
  });

  for (const helper of ["pasta", "slirp4netns"]) {
    test(`--network ${helper} -p: a server in the container answers on 127.0.0.1`, async () => {
      const port = randomPort();
      const server = zoo(["run", "--rm", "--network", helper, "-p", `${port}:8080`, "busybox", "sh", "-c", `echo hello-${helper} | nc -l -p 8080`]);
      expect((await banner(port)).trim()).toBe(`hello-${helper}`);
      const r = await server;
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  for (const helper of ["pasta", "slirp4netns"]) {
    test(`as root, --network ${helper} -p works too (the container has no user namespace of its own)`, async () => {
      const port = randomPort();
      const server = run([ZOO, "run", "--rm", "--network", helper, "-p", `${port}:8080`, "busybox", "sh", "-c", `echo root-${helper} | nc -l -p 8080`], { timeoutMs: 30_000 });
      expect((await banner(port)).trim()).toBe(`root-${helper}`);
      const r = await server;
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  test("bridge and container: networks are rootful; /dev/net/tun closed names the way out", async () => {
    const b = await zoo(["run", "--rm", "--network", "bridge", "busybox", "true"]);
    expect(b.code).toBe(125);
    expect(b.stderr.split("\n")).toHaveLength(2);
    chmodSync(TUN, 0o600);
    try {
      const r = await zoo(["run", "--rm", "busybox", "true"]);
      expect(r.stderr).toBe("zoo: rootless default network: pasta needs /dev/net/tun, which is not read-write for this user (as root: chmod 0666 /dev/net/tun); or run with --network none\n");
      expect(r.code).toBe(125);
    } finally {
      chmodSync(TUN, 0o666);
    }
  });
});
