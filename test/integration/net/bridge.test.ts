// Rootful bridge networks through `zoo run`: real veths, a real bridge, real
// nftables NAT. Traffic stays on loopback and inside the namespaces the tests
// create. Every test is leak-checked: no veth or lease may outlive the
// containers, no user network's bridge its `zoo network rm` (the default
// network's zoo0 stays, as docker0 does).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { IS_ROOT, useTempStore, ZOO } from "../../helpers/env.ts";

const HAS_NFT = Bun.which("nft", { PATH: "/usr/sbin:/sbin:/usr/bin" }) !== null;

/** A port nothing listens on, different for each call in this run. */
let nextPort = 20000 + Math.floor(Math.random() * 20000);
const freePort = () => nextPort++;

// A web server whose PID 1 is a shell that exits on SIGTERM (httpd as PID 1 would ignore it).
const WEB = (body: string) => `mkdir -p /www && echo ${body} > /www/index.html && httpd -p 80 -h /www && trap 'exit 0' TERM && while :; do sleep 1 & wait; done`;
const GET = (host: string, path = "/") => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 80 | tail -1`;

describe.skipIf(!IS_ROOT || !HAS_NFT)("bridge networks", () => {
  const t = useTempStore();
  const zoo = (args: string[]) => t.zoo(args);

  /** Starts a long-running container; returns once its lease shows an address. */
  async function background(args: string[], name: string) {
    const p = Bun.spawn([ZOO, "run", "--rm", "--name", name, ...args], { env: { ZOO_ROOT: t.store, PATH: process.env.PATH! }, stdout: "pipe", stderr: "pipe" });
    let ip = "";
    for (let i = 0; i < 100 && !ip; i++) {
      await Bun.sleep(50);
      const net = args.includes("--network") ? args[args.indexOf("--network") + 1]! : "bridge";
      const r = await zoo(["network", "inspect", net]);
      const c = Object.values((JSON.parse(r.stdout || "[{}]")[0]?.Containers ?? {}) as Record<string, { Name: string; IPv4Address: string }>).find((x) => x.Name === name);
      if (c) ip = c.IPv4Address.split("/")[0]!;
    }
    // The lease exists before the veth; give httpd a moment after that.
    await Bun.sleep(300);
    return {
      ip,
      async stop() {
        p.kill("SIGTERM");
        const code = await p.exited;
        return { code, stderr: await new Response(p.stderr).text() };
      },
    };
  }

  test("a web server answers the host at its address and on a published port on 127.0.0.1", async () => {
    const port = freePort();
    const web = await background(["-p", `${port}:80`, "busybox", "sh", "-c", WEB("hello-bridge")], "web1");
    try {
      expect(web.ip).toMatch(/^10\.88\.0\.\d+$/);
      expect(await (await fetch(`http://${web.ip}/`)).text()).toBe("hello-bridge\n");
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("hello-bridge\n");
      const r = await zoo(["run", "--rm", "busybox", "sh", "-c", `ip -o -4 addr show eth0 | awk '{print $4}'; ip route | head -1; ${GET(web.ip)}; ${GET("web1")}`]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^10\.88\.0\.\d+\/16\ndefault via 10\.88\.0\.1 dev eth0 *\nhello-bridge\nhello-bridge\n$/);
    } finally {
      expect((await web.stop()).code).toBe(0);
    }
  });

  test("outbound traffic is masqueraded: a peer outside the host sees the host's address", async () => {
    // The "outside": a network namespace this test makes, reached from the host over a veth.
    const ns = `zoo-nat-${process.pid}`;
    const ip = (...a: string[]) => Bun.spawnSync(["ip", ...a], { stderr: "pipe" });
    ip("netns", "add", ns);
    try {
      ip("link", "add", `znt${process.pid % 10000}`, "type", "veth", "peer", "name", "eth1", "netns", ns);
      ip("addr", "add", "192.168.250.1/24", "dev", `znt${process.pid % 10000}`);
      ip("link", "set", `znt${process.pid % 10000}`, "up");
      ip("-n", ns, "addr", "add", "192.168.250.2/24", "dev", "eth1");
      ip("-n", ns, "link", "set", "eth1", "up");
      const py = "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('192.168.250.2',9000));s.listen();print('ready',flush=True);c,a=s.accept();c.send(a[0].encode()+b'\\n');c.close()";
      const peer = Bun.spawn(["ip", "netns", "exec", ns, "python3", "-c", py], { stdout: "pipe" });
      const reader = peer.stdout.getReader();
      await reader.read();
      const r = await zoo(["run", "--rm", "busybox", "sh", "-c", "nc -w 3 192.168.250.2 9000"]);
      expect(r.stdout).toBe("192.168.250.1\n");
      await peer.exited;
    } finally {
      ip("netns", "del", ns);
    }
  });

  test("/etc/hosts names the container and its neighbours; /etc/resolv.conf has no loopback resolver", async () => {
    const web = await background(["busybox", "sh", "-c", WEB("x")], "neighbour");
    try {
      const r = await zoo(["run", "--rm", "--name", "me", "-h", "myhost", "busybox", "sh", "-c", "cat /etc/hosts; grep -c '^nameserver 127' /etc/resolv.conf"]);
      expect(r.stdout).toContain("127.0.0.1\tlocalhost\n");
      expect(r.stdout).toMatch(/\n10\.88\.0\.\d+\tmyhost me\n/);
      expect(r.stdout).toContain(`\n${web.ip}\tneighbour `);
      expect(r.stdout.endsWith("0\n")).toBe(true);
    } finally {
      await web.stop();
    }
  });

  test("user-defined networks: reachable by name inside one, isolated from another", async () => {
    expect((await zoo(["network", "create", "--subnet", "10.91.0.0/24", "front"])).code).toBe(0);
    expect((await zoo(["network", "create", "back"])).code).toBe(0);
    const ls = await zoo(["network", "ls"]);
    expect(ls.stdout).toMatch(/\nbridge\s|\s+bridge\s+bridge\s+10\.88\.0\.0\/16\s+zoo0\n/);
    expect(ls.stdout).toMatch(/\s+front\s+bridge\s+10\.91\.0\.0\/24\s+zoo[0-9a-f]{8}\n/);
    expect(ls.stdout).toMatch(/\s+back\s+bridge\s+10\.89\.\d+\.0\/24\s+zoo[0-9a-f]{8}\n/);
    const a = await background(["--network", "front", "busybox", "sh", "-c", WEB("in-front")], "fa");
    const b = await background(["--network", "back", "busybox", "sh", "-c", WEB("in-back")], "ba");
    try {
      expect(a.ip).toMatch(/^10\.91\.0\.\d+$/);
      const same = await zoo(["run", "--rm", "--network", "front", "busybox", "sh", "-c", `${GET("fa")}; ${GET(a.ip)}`]);
      expect(same.stdout).toBe("in-front\nin-front\n");
      const other = await zoo(["run", "--rm", "--network", "front", "busybox", "sh", "-c", `${GET(b.ip)}; echo "exit $?"; grep -cw ba /etc/hosts`]);
      expect(other.stdout).toBe("exit 0\n0\n");
      expect(other.stderr).toContain("timed out");
      const inUse = await zoo(["network", "rm", "front"]);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toBe("zoo: network front is in use by 1 running container(s) (fa): stop them first\n");
    } finally {
      await a.stop();
      await b.stop();
    }
    expect((await zoo(["network", "rm", "front", "back"])).stdout).toBe("front\nback\n");
  });

  test("a network's bridge and rules outlive its containers and go with zoo network rm", async () => {
    expect((await zoo(["network", "create", "kept"])).code).toBe(0);
    const bridge: string = JSON.parse((await zoo(["network", "inspect", "kept"])).stdout)[0].Options["com.docker.network.bridge.name"];
    const nft = (...a: string[]) => Bun.spawnSync(["nft", ...a], { stdout: "pipe", stderr: "pipe" });
    try {
      expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
      expect((await zoo(["run", "--rm", "--network", "kept", "busybox", "true"])).code).toBe(0);
      expect(existsSync(`/sys/class/net/${bridge}`)).toBe(true);
      // A bridge deleted behind zoo's back is made again, its rules not doubled.
      Bun.spawnSync(["ip", "link", "del", bridge]);
      const r = await zoo(["run", "--rm", "--network", "kept", "busybox", "sh", "-c", "ip -o -4 addr show eth0 | awk '{print $4}'"]);
      expect(r.stdout).toMatch(/^10\.89\.\d+\.\d+\/24\n$/);
      expect(nft("list", "chain", "ip", "zoo", `iso-${bridge}`).stdout.toString().match(/ drop$/gm)).toHaveLength(1);
      const builtin = await zoo(["network", "rm", "bridge"]);
      expect(builtin.stderr).toBe('zoo: network "bridge" is built in and cannot be removed\n');
      expect(builtin.code).toBe(1);
    } finally {
      expect((await zoo(["network", "rm", "kept"])).stdout).toBe("kept\n");
    }
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(nft("list", "chain", "ip", "zoo", `iso-${bridge}`).exitCode).not.toBe(0);
  });

  test("the lab's question 16: B on two networks reaches A and C by name, A and C stay isolated", async () => {
    expect((await zoo(["network", "create", "left"])).code).toBe(0);
    expect((await zoo(["network", "create", "right"])).code).toBe(0);
    const a = await background(["--network", "left", "busybox", "sh", "-c", WEB("i-am-a")], "qa");
    const c = await background(["--network", "right", "busybox", "sh", "-c", WEB("i-am-c")], "qc");
    try {
      const b = await zoo(["run", "--rm", "--name", "qb", "--network", "left", "--network", "right", "busybox", "sh", "-c",
        `ip -o -4 addr | awk '{print $2}' | tr '\n' ' '; echo; ip route | grep -c default; ${GET("qa")}; ${GET("qc")}`]);
      expect(b.stderr).toBe("");
      expect(b.stdout).toBe("lo eth0 eth1 \n1\ni-am-a\ni-am-c\n");
      const fromA = await zoo(["run", "--rm", "--network", "left", "busybox", "sh", "-c", `${GET(c.ip)}; echo "exit $?"`]);
      expect(fromA.stdout).toBe("exit 0\n");
      expect(fromA.stderr).toContain("timed out");
      const mixed = await zoo(["run", "--rm", "--network", "left", "--network", "none", "busybox", "true"]);
      expect(mixed.stderr).toBe("zoo: --network none cannot be combined with another --network; only bridge networks can\n");
      expect(mixed.code).toBe(125);
    } finally {
      await a.stop();
      await c.stop();
    }
    expect((await zoo(["network", "rm", "left", "right"])).code).toBe(0);
  });

  test("20 containers started at once, all running together, get 20 distinct addresses", async () => {
    // The trap comes first: a container counts as started once it has printed its address.
    const cmd = `trap 'exit 0' TERM; ip -o -4 addr show eth0 | awk '{print $4}'; while :; do sleep 1 & wait; done`;
    const procs = Array.from({ length: 20 }, () =>
      Bun.spawn([ZOO, "run", "--rm", "busybox", "sh", "-c", cmd], { env: { ZOO_ROOT: t.store, PATH: process.env.PATH! }, stdout: "pipe", stderr: "pipe" }),
    );
    let codes: number[] = [];
    let addrs: string[] = [];
    try {
      const firstLines = procs.map(async (p) => {
        const { value } = await p.stdout.getReader().read();
        return new TextDecoder().decode(value ?? new Uint8Array()).trim();
      });
      addrs = await Promise.all(firstLines);
      // All 20 hold their leases together.
      const r = await zoo(["network", "inspect", "bridge"]);
      // (Other containers on the host may share the default network: look for ours.)
      const listed = Object.values(JSON.parse(r.stdout)[0].Containers as Record<string, { IPv4Address: string }>).map((c) => c.IPv4Address);
      expect(addrs.filter((a) => listed.includes(a))).toEqual(addrs);
    } finally {
      // Also when an expectation failed: no container may outlive the test.
      for (const p of procs) p.kill("SIGTERM");
      codes = await Promise.all(procs.map((p) => p.exited));
    }
    expect(codes).toEqual(Array(20).fill(0));
    for (const a of addrs) expect(a).toMatch(/^10\.88\.0\.\d+\/16$/);
    expect(new Set(addrs).size).toBe(20);
  }, 60_000);

  test("--ip picks the address (the lab's IP/PREFIX form too); container: shares a network namespace", async () => {
    const web = await background(["--ip", "10.88.0.77/16", "busybox", "sh", "-c", WEB("pinned")], "pinned");
    try {
      expect(web.ip).toBe("10.88.0.77");
      const taken = await zoo(["run", "--rm", "--ip", "10.88.0.77", "busybox", "true"]);
      expect(taken.stderr).toBe("zoo: --ip 10.88.0.77 is already in use by another container on this network\n");
      const joined = await zoo(["run", "--rm", "--network", "container:pinned", "busybox", "sh", "-c", `ip -o -4 addr show eth0 | awk '{print $4}'; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 80 | tail -1`]);
      expect(joined.stdout).toBe("10.88.0.77/16\npinned\n");
    } finally {
      await web.stop();
    }
  });

  test("--network host shares the host's interfaces; none has only lo", async () => {
    const host = await zoo(["run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"]);
    expect(host.stdout.split("\n").filter(Boolean).sort()).toEqual(readFileSync("/proc/net/dev", "utf8").split("\n").slice(2).map((l) => l.split(":")[0]!.trim()).filter(Boolean).sort());
    const none = await zoo(["run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"]);
    expect(none.stdout).toBe("lo\n");
  });

  test("bad input: one line, non-zero exit, nothing left behind", async () => {
    const cases: [string[], string][] = [
      [["--ip", "10.1.2.3"], "zoo: --ip 10.1.2.3 is outside the network's subnet 10.88.0.0/16 (usable 10.88.0.1 to 10.88.255.254)\n"],
      [["--ip", "10.88.0.9/24"], "zoo: --ip 10.88.0.9/24: the network's subnet is 10.88.0.0/16, so the prefix must be /16\n"],
      [["--ip", "10.88.0.1"], "zoo: --ip 10.88.0.1 is the network's gateway: choose another address\n"],
      [["--network", "nope"], 'zoo: network "nope" not found: create it with zoo network create nope, or list them with zoo network ls\n'],
      [["--network", "none", "-p", "8080:80"], "zoo: -p has no effect with --network none: publish ports on the container that owns the network\n"],
      [["--network", "none", "--ip", "10.88.0.5"], "zoo: --ip needs a bridge network (--network bridge or a network from zoo network create), not --network none\n"],
      [["-p", "80:80/sctp"], 'zoo: run: -p="80:80/sctp": the protocol after / is tcp or udp (e.g. 5353:53/udp)\n'],
      [["--network", "container:ghost"], "zoo: --network container:ghost: no running container with that name or id\n"],
    ];
    for (const [flags, err] of cases) {
      const r = await zoo(["run", "--rm", ...flags, "busybox", "true"]);
      expect(r.stderr).toBe(err);
      expect(r.code).toBe(125);
    }
    const missing = await t.zoo(["run", "--rm", "--network", "slirp4netns", "busybox", "true"], { env: { PATH: "/nonexistent", ZOO_ROOT: t.store } });
    expect(missing.stderr).toBe("zoo: --network slirp4netns needs slirp4netns for user-mode networking: install slirp4netns\n");
  });

  test("a host port already in use, or already published, is refused before the container starts", async () => {
    const port = freePort();
    const server = createServer().listen(port, "0.0.0.0");
    await new Promise((r) => server.once("listening", r));
    try {
      const r = await zoo(["run", "--rm", "-p", `${port}:80`, "busybox", "echo", "ran"]);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`zoo: host port ${port}/tcp is already in use (EADDRINUSE): choose another with -p\n`);
    } finally {
      server.close();
    }
    // A DNAT element no lease accounts for (left by hand, or by a zoo from before leases).
    const stale = freePort();
    Bun.spawnSync(["nft", "add", "element", "ip", "zoo", "tcp_pub", `{ ${stale} : 10.88.255.254 . 80 }`]);
    try {
      const r = await zoo(["run", "--rm", "-p", `${stale}:80`, "busybox", "echo", "ran"]);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`zoo: -p: host port ${stale}/tcp is already in zoo's nftables DNAT map, held by no container; remove it with nft delete element ip zoo tcp_pub '{ PORT }' (udp_pub for udp)\n`);
      expect(r.code).toBe(125);
    } finally {
      Bun.spawnSync(["nft", "delete", "element", "ip", "zoo", "tcp_pub", `{ ${stale} }`]);
    }
    const port2 = freePort();
    const web = await background(["-p", `${port2}:80`, "busybox", "sh", "-c", WEB("first")], "holder");
    try {
      const r = await zoo(["run", "--rm", "-p", `${port2}:80`, "busybox", "echo", "ran"]);
      expect(r.stderr).toBe(`zoo: host port ${port2}/tcp is already published by container holder\n`);
    } finally {
      await web.stop();
    }
  });

  test("a zoo killed with SIGKILL leaves a lease the next run reclaims", async () => {
    const port = freePort();
    const p = Bun.spawn([ZOO, "run", "--rm", "-p", `${port}:80`, "busybox", "sleep", "60"], { env: { ZOO_ROOT: t.store, PATH: process.env.PATH! } });
    for (let i = 0; i < 100; i++) {
      await Bun.sleep(50);
      if (readFileSync("/proc/net/dev", "utf8").match(/^\s*z[0-9a-f]{12}:/m)) break;
    }
    p.kill("SIGKILL");
    await p.exited;
    // The next locked operation finds the dead owner and releases its address, port and bridge.
    const r = await zoo(["run", "--rm", "-p", `${port}:80`, "busybox", "echo", "port free again"]);
    expect(r.stdout).toBe("port free again\n");
    // The killed run's container directory is zoo's to clean once containers are kept (issue 8); not a network leak.
  });
});
