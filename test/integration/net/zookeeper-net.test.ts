// zookeeper's networking: without -n a private netns with only lo, up; with
// -n user-mode networking through pasta or slirp4netns, as root and rootless.
//
// NETWORK RULE: these tests talk only to 127.0.0.1 on the host (through the
// published port) and to addresses inside the container's own netns.
//
// This host's /dev/net/tun may be 0600 (Debian's default is 0666): the rootless
// tests chmod it to 0666 as root for their duration and restore the mode after.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { containerPid } from "../../helpers/procs.ts";
import { fetchBanner, helperPids, randomPort } from "../../helpers/net.ts";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureTestUser, expectNoLeaks, IS_ROOT, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, ZOOKEEPER, type LeakSnapshot, type Result, type TestUser } from "../../helpers/env.ts";

const HELPERS = ["pasta", "slirp4netns"] as const;
const TUN = "/dev/net/tun";

const hostLinks = () => readdirSync("/sys/class/net").sort();

interface Snapshot {
  leaks: LeakSnapshot;
  helpers: number[];
  links: string[];
}
const snapshot = (): Snapshot => ({ leaks: leakSnapshot(), helpers: helperPids(), links: hostLinks() });

// A leak is something added. Comparing only additions keeps the check
// meaningful when other zoo runs on the host finish during these tests.
const added = (now: string[] | number[], then: string[] | number[]) => (now as unknown[]).filter((x) => !(then as unknown[]).includes(x));

async function expectClean(before: Snapshot) {
  const leaks = await expectNoLeaks(before.leaks);
  expect({ mounts: added(leaks.mounts, before.leaks.mounts), cgroups: added(leaks.cgroups, before.leaks.cgroups), tmpdirs: added(leaks.tmpdirs, before.leaks.tmpdirs) }).toEqual({ mounts: [], cgroups: [], tmpdirs: [] });
  let helpers = added(helperPids(), before.helpers);
  for (let i = 0; i < 40 && helpers.length; i++) {
    await Bun.sleep(50);
    helpers = added(helperPids(), before.helpers);
  }
  expect(helpers).toEqual([]);
  expect(added(hostLinks(), before.links)).toEqual([]);
}

function rootfsWithEtc(owner?: TestUser): string {
  const fs = makeRootfs(owner);
  mkdirSync(join(fs, "etc"), { recursive: true });
  if (owner) chownSync(join(fs, "etc"), owner.uid, owner.gid);
  return fs;
}

const SHOW = "ip -o link; echo ---; ip -o -4 addr; echo ---; ip route; echo ---; cat /etc/resolv.conf";

function sections(r: Result) {
  const [links = "", addrs = "", routes = "", resolv = ""] = r.stdout.split("---\n");
  return { links, addrs, routes, resolv };
}

function expectUserNetwork(r: Result, helper: string) {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const s = sections(r);
  expect(s.links).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
  expect(s.links).toMatch(/^2: eth0: <[^>]*\bUP\b/m);
  expect(s.addrs).toMatch(/eth0\s+inet \d+\.\d+\.\d+\.\d+\/\d+/);
  expect(s.routes).toMatch(/^default via \S+ dev eth0/m);
  expect(s.resolv).toContain(`nameserver ${helper === "pasta" ? "169.254.1.1" : "10.0.2.3"}`);
}

for (const who of ["root", "rootless"] as const) {
  describe.skipIf(!IS_ROOT)(`zookeeper networking (${who})`, () => {
    let user: TestUser | undefined;
    let fs: string;
    let before: Snapshot;
    let tunMode = 0;
    beforeAll(() => {
      requireBuild();
      if (who === "rootless") user = ensureTestUser();
      fs = rootfsWithEtc(user);
      tunMode = statSync(TUN).mode & 0o7777;
      before = snapshot();
    });
    afterEach(async () => {
      if (who === "rootless") chmodSync(TUN, tunMode);
      await expectClean(before);
    });
    afterAll(() => {
      chmodSync(TUN, tunMode);
      removeFixtures();
    });

    const zk = (args: string[], env: Record<string, string> = {}) => run([ZOOKEEPER, ...args], { asUser: user, env, timeoutMs: 30_000 });
    const openTun = () => {
      if (who === "rootless") chmodSync(TUN, 0o666);
    };

    test("without -n: a private netns with only lo, and lo up", async () => {
      const r = await zk(["-r", fs, "/bin/sh", "-c", "ip -o link; ip -o addr"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const links = r.stdout.split("\n").filter((l) => /^\d+: /.test(l) && l.includes("link/"));
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
      expect(r.stdout).toMatch(/lo\s+inet 127\.0\.0\.1\/8/);
      // The server on the container's own loopback answers the container.
      const echo = await zk(["-r", fs, "/bin/sh", "-c", "echo via-lo | nc -l -p 7 & sleep 0.3; nc 127.0.0.1 7 </dev/null"]);
      expect(echo.stdout.trim()).toBe("via-lo");
    });

    for (const helper of HELPERS) {
      test(`-n with ${helper}: eth0 with an address, a default route, resolv.conf`, async () => {
        openTun();
        const r = await zk(["-n", "-r", fs, "/bin/sh", "-c", SHOW], { ZOO_NET_HELPER: helper });
        expectUserNetwork(r, helper);
        // Bound over the rootfs, not written into it.
        expect(readFileSync(join(fs, "etc/resolv.conf"), "utf8")).toBe("");
      });

      test(`-n with ${helper}: ZOO_PUBLISH reaches a server in the container from 127.0.0.1`, async () => {
        openTun();
        const port = randomPort();
        const server = zk(["-n", "-r", fs, "/bin/sh", "-c", "echo hello-from-zoo | nc -l -p 8080"], { ZOO_NET_HELPER: helper, ZOO_PUBLISH: `${port}:8080` });
        const banner = await fetchBanner(port);
        const r = await server;
        expect(r.stderr).toBe("");
        expect(banner.trim()).toBe("hello-from-zoo");
        expect(r.code).toBe(0);
      });
    }

    if (who === "root") {
      for (const helper of HELPERS) {
        test(`-n with ${helper}: zookeeper SIGKILLed mid-run leaves no helper, container or temp dir`, async () => {
          const helpersBefore = helperPids();
          const p = Bun.spawn([ZOOKEEPER, "-n", "-r", fs, "/bin/sleep", "100"], {
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ZOO_NET_HELPER: helper },
            stdout: "ignore",
            stderr: "ignore",
          });
          const pid = await containerPid(p.pid);
          expect(helperPids().length).toBeGreaterThan(helpersBefore.length);
          p.kill("SIGKILL");
          await p.exited;
          for (let i = 0; i < 150 && (existsSync(`/proc/${pid}`) || helperPids().length > helpersBefore.length); i++) await Bun.sleep(20);
          expect(existsSync(`/proc/${pid}`)).toBe(false);
          expect(helperPids()).toEqual(helpersBefore);
          // afterEach: no /tmp/zoo.* dir (net scratch, resolv.conf), cgroup or mount left.
        });
      }
    }

    test("-n with a missing helper: one clear line, exit 125", async () => {
      openTun();
      for (const helper of HELPERS) {
        const r = await zk(["-n", "-r", fs, "/bin/true"], { ZOO_NET_HELPER: helper, PATH: "/nonexistent" });
        expect(r.stderr).toBe(`zookeeper: -n needs ${helper} for user-mode networking: install ${helper === "pasta" ? "passt" : helper}\n`);
        expect(r.code).toBe(125);
      }
    });

    test("bad ZOO_NET_HELPER and ZOO_PUBLISH without -n are refused", async () => {
      const a = await zk(["-n", "-r", fs, "/bin/true"], { ZOO_NET_HELPER: "vde" });
      expect(a.stderr).toMatch(/^zookeeper: ZOO_NET_HELPER="vde": use "pasta" or "slirp4netns"\n$/);
      expect(a.code).toBe(125);
      const b = await zk(["-r", fs, "/bin/true"], { ZOO_PUBLISH: "8080:80" });
      expect(b.stderr).toMatch(/^zookeeper: ZOO_PUBLISH needs -n/);
      expect(b.code).toBe(125);
    });

    if (who === "rootless") {
      test("-n when /dev/net/tun is root-only: says how to fix it", async () => {
        chmodSync(TUN, 0o600);
        const r = await zk(["-n", "-r", fs, "/bin/true"], { ZOO_NET_HELPER: "slirp4netns" });
        expect(r.stderr).toBe("zookeeper: -n: slirp4netns needs /dev/net/tun, which is not read-write for this user (as root: chmod 0666 /dev/net/tun)\n");
        expect(r.code).toBe(125);
      });
    }
  });
}
