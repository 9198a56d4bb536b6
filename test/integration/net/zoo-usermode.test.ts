// Rootless `zoo run`: user-mode networking (pasta by default, slirp4netns on
// request) with ports published through the helper's own forwarding.
//
// NETWORK RULE: only 127.0.0.1 on the host and the container's own netns.
// /dev/net/tun is opened to 0666 (Debian's default) for these tests and its
// mode restored afterwards.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { ensureTestUser, expectNoLeaks, IS_ROOT, leakSnapshot, requireBuild, run, ZOO, type LeakSnapshot, type TestUser } from "../../helpers/env.ts";

const TUN = "/dev/net/tun";

function helperPids(): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (stat[stat.lastIndexOf(")") + 2] !== "Z" && /^(slirp4netns|pasta|passt)/.test(name)) out.push(Number(e));
    } catch {}
  }
  return out;
}

async function banner(port: number, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const got = await new Promise<string>((resolve) => {
      let data = "";
      const s = connect({ host: "127.0.0.1", port });
      s.setTimeout(2000, () => s.destroy());
      s.on("data", (d) => (data += d.toString()));
      s.on("error", () => resolve(""));
      s.on("close", () => resolve(data));
    });
    if (got) return got;
    await Bun.sleep(100);
  }
  return "";
}

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
      const port = 20000 + Math.floor(Math.random() * 20000);
      const server = zoo(["run", "--rm", "--network", helper, "-p", `${port}:8080`, "busybox", "sh", "-c", `echo hello-${helper} | nc -l -p 8080`]);
      expect((await banner(port)).trim()).toBe(`hello-${helper}`);
      const r = await server;
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  for (const helper of ["pasta", "slirp4netns"]) {
    test(`as root, --network ${helper} -p works too (the container has no user namespace of its own)`, async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
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
