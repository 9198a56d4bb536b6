// `zoo run --rm` on the default bridge network through the C front door
// (docs/design/run-cache.md, NETLINK, LEASE, RELEASE): the first run goes
// through Bun and writes an entry; the next is replayed while the network has
// no other container, and falls back to Bun when it has. Either way the
// container gets the same address, routes and hosts file, and no veth, lease
// or hosts line of it outlives it (useTempStore checks veths and leases).
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { IS_ROOT, ZOO, useTempStore } from "../../helpers/env.ts";

const HAS_NFT = Bun.which("nft", { PATH: "/usr/sbin:/sbin:/usr/bin" }) !== null;
const TRACE = { ZOO_RUN_CACHE_TRACE: "1" };
const way = (stderr: string) => [...stderr.matchAll(/^run cache: (hit|miss|fallback)/gm)].at(-1)?.[1];
const LEASES = "/run/zoo/net/zoo0/leases.json";
const CACHE = "/run/zoo/cache/run";
const ip = (...a: string[]) => Bun.spawnSync(["ip", ...a], { stdout: "pipe", stderr: "pipe" });
const nft = (...a: string[]) => Bun.spawnSync(["nft", ...a], { stdout: "pipe", stderr: "pipe" });

describe.skipIf(!IS_ROOT || !HAS_NFT)("zoo run on the default bridge, replayed", () => {
  const t = useTempStore();
  const zoo = (args: string[], env: Record<string, string> = {}) => t.zoo(args, { env: { ...TRACE, ...env } });
  // The network up, as any first container leaves it (on a fresh machine, the first run brings it up and gets no entry).
  beforeAll(async () => expect((await t.zoo(["run", "--rm", "--name", "warm-up", "busybox", "true"])).code).toBe(0));
  const spawn = (args: string[]) => Bun.spawn([ZOO, ...args], { env: { PATH: process.env.PATH!, ZOO_ROOT: t.store, ...TRACE }, stdout: "pipe", stderr: "pipe" });

  /** Reads a child's stdout until `text` has appeared; returns what was read. */
  async function until(p: ReturnType<typeof spawn>, text: string) {
    const reader = p.stdout.getReader();
    let out = "";
    while (!out.includes(text)) {
      const c = await reader.read();
      if (c.done) break;
      out += new TextDecoder().decode(c.value);
    }
    reader.releaseLock();
    return out;
  }

  const LOOK = "hostname; ip -o -4 addr show eth0 | awk '{print $4}'; ip route; cat /etc/hosts; ping -c1 -W2 10.88.0.1 >/dev/null && echo gateway reachable";

  test("the second run is a hit with the same address, routes and hosts file, and leaves no lease or veth", async () => {
    const args = ["run", "--rm", "busybox", "sh", "-c", LOOK];
    const first = await zoo(args);
    const second = await zoo(args);
    expect([way(first.stderr), way(second.stderr)]).toEqual(["miss", "hit"]);
    const same = (out: string) => {
      const host = out.split("\n")[0]!;
      expect(host).toMatch(/^[0-9a-f]{12}$/);
      return out.replaceAll(host, "HOST");
    };
    expect([second.code, same(second.stdout)]).toEqual([first.code, same(first.stdout)]);
    expect(second.stdout).toContain("\n10.88.0.2/16\ndefault via 10.88.0.1 dev eth0 \n");
    expect(second.stdout).toMatch(/\n10\.88\.0\.2\t[0-9a-f]{12}\n/);
    expect(second.stdout).toEndWith("gateway reachable\n");
    expect(first.stdout.split("\n")[0]).not.toBe(second.stdout.split("\n")[0]);
    expect(existsSync(LEASES)).toBe(false);
  });

  test("while a replayed container runs, its lease names the front door and the container, and its veth is on zoo0", async () => {
    // The shell is the container's PID 1: it ends on SIGTERM only with a trap.
    const args = ["run", "--rm", "busybox", "sh", "-c", "trap 'exit 0' TERM; hostname; echo ready; sleep 30 & wait"];
    const prime = spawn(args);
    await until(prime, "ready");
    prime.kill("SIGTERM");
    await prime.exited;
    expect(way(await new Response(prime.stderr).text())).toBe("miss");
    const p = spawn(args);
    const out = await until(p, "ready");
    const short = out.split("\n")[0]!;
    try {
      const [lease] = JSON.parse(readFileSync(LEASES, "utf8"));
      expect(lease.ownerPid).toBe(p.pid);
      expect(lease.ownerStart).toBe(readFileSync(`/proc/${p.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]);
      expect(lease.id.slice(0, 12)).toBe(short);
      expect(lease.veth).toBe(`z${short}`);
      expect(readFileSync(`/proc/${lease.pid}/cmdline`, "utf8")).toStartWith("sh\0-c\0");
      expect(readFileSync(`/sys/class/net/z${short}/master/uevent`, "utf8")).toContain("INTERFACE=zoo0");
      // What `zoo network inspect` says comes from the lease, replayed or not.
      const inspect = JSON.parse((await t.zoo(["network", "inspect", "bridge"])).stdout)[0];
      expect(Object.values(inspect.Containers as Record<string, { IPv4Address: string }>).map((c) => c.IPv4Address)).toEqual(["10.88.0.2/16"]);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
    expect(way(await new Response(p.stderr).text())).toBe("hit");
    expect(existsSync(LEASES)).toBe(false);
    expect(existsSync(`/sys/class/net/z${short}`)).toBe(false);
  });

  test("with a neighbour on the network the run falls back to Bun, which lists it; one arriving later is released through zoo-bun", async () => {
    // It ends once a neighbour (nb, late) is in its own hosts file: a Bun path rewrites that in place (it is bind-mounted).
    const wait = "i=0; until grep -qE 'nb|late' /etc/hosts || [ $i -ge 1200 ]; do sleep 0.1; i=$((i+1)); done";
    const args = ["run", "--rm", "busybox", "sh", "-c", `cat /etc/hosts; echo ready; ${wait}; echo done`];
    const neighbour = (name: string) => spawn(["run", "--rm", "--name", name, "busybox", "sh", "-c", "trap 'exit 0' TERM; echo ready; sleep 60 & wait"]);
    /** Runs `args` in the background; once it is ready a neighbour "late" comes; returns when it has ended, late stopped. */
    async function withLateNeighbour() {
      const a = spawn(args);
      const before = await until(a, "ready");
      const late = neighbour("late");
      await until(late, "ready");
      try {
        await a.exited;
        const leases = existsSync(LEASES) ? JSON.parse(readFileSync(LEASES, "utf8")) : [];
        const lateHosts = leases.length === 1 ? readFileSync(leases[0].hostsFile, "utf8") : "";
        return { before, code: a.exitCode, stderr: await new Response(a.stderr).text(), leases, lateHosts };
      } finally {
        late.kill("SIGTERM");
        await late.exited;
      }
    }
    const prime = await withLateNeighbour();
    expect([way(prime.stderr), prime.code]).toEqual(["miss", 0]);

    // A neighbour first: the lease's directory exists, so the replay gives way to Bun, which lists nb.
    const entryBefore = readFileSync(readdirSync(CACHE).map((f) => `${CACHE}/${f}`).sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0]!);
    const nb = neighbour("nb");
    await until(nb, "ready");
    try {
      // spawn's environment, as the runs that wrote the entry had: the key holds it.
      const p = spawn(args);
      const r = { stdout: await new Response(p.stdout).text(), stderr: await new Response(p.stderr).text(), code: await p.exited };
      expect([way(r.stderr), r.code]).toEqual(["fallback", 0]);
      expect(r.stderr).toMatch(/^run cache: fallback \(.*File exists/m);
      // And Bun, with a neighbour, wrote no entry over the one it fell back from: its address and hosts file were not the lone container's.
      const entry = /^run cache: hit (\S+)/m.exec(r.stderr)![1]!;
      expect(readFileSync(entry)).toEqual(entryBefore);
      expect(r.stdout).toMatch(/\n10\.88\.0\.\d+\tnb [0-9a-f]{12}\n/);
      expect(JSON.parse(readFileSync(LEASES, "utf8")).map((l: { name?: string }) => l.name)).toEqual(["nb"]);
    } finally {
      nb.kill("SIGTERM");
      await nb.exited;
    }
    expect(existsSync(LEASES)).toBe(false);

    // Alone: a hit. late comes while it runs and rewrites the lease file, so its teardown runs zoo-bun's release.
    const hit = await withLateNeighbour();
    expect([way(hit.stderr), hit.code]).toEqual(["hit", 0]);
    expect(hit.before).not.toContain("late");
    expect(hit.leases.map((l: { name?: string }) => l.name)).toEqual(["late"]);
    // late's hosts file no longer names the container that went (it did: that ended it): localhost twice and itself.
    expect(hit.lateHosts.trim().split("\n").length).toBe(3);
    expect(hit.lateHosts).toMatch(/\n10\.88\.0\.\d+\t[0-9a-f]{12} late\n$/);
  });

  test("zoo0 deleted or zoo's table flushed: a miss or a fallback, and Bun makes them again", async () => {
    const args = ["run", "--rm", "busybox", "sh", "-c", "ping -c1 -W2 10.88.0.1 >/dev/null && echo reachable"];
    await zoo(args);
    expect(way((await zoo(args)).stderr)).toBe("hit");

    expect(ip("link", "del", "zoo0").exitCode).toBe(0);
    const gone = await zoo(args);
    expect([way(gone.stderr), gone.stdout]).toEqual(["miss", "reachable\n"]);
    // The run that made the bridge again wrote no entry; the next one does.
    expect(way((await zoo(args)).stderr)).toBe("miss");
    expect(way((await zoo(args)).stderr)).toBe("hit");

    expect(nft("delete", "table", "ip", "zoo").exitCode).toBe(0);
    const flushed = await zoo(args);
    expect([way(flushed.stderr), flushed.stdout]).toEqual(["fallback", "reachable\n"]);
    expect(nft("list", "table", "ip", "zoo").exitCode).toBe(0);
  });
});
