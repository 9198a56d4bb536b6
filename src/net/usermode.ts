// User-mode networking: a helper process (pasta or slirp4netns) creates a tap
// device in the container's netns and relays its traffic through ordinary
// host sockets, so it works without privileges on the host network.
import { accessSync, closeSync, constants as fsc, mkdtempSync, openSync, readFileSync, readlinkSync, readSync } from "node:fs";
import { join } from "node:path";
import type { Cleanup } from "../util/cleanup.ts";
import { UsageError, ZooError } from "../util/errors.ts";
import type { PortMapping } from "./publish.ts";
import { O_NONBLOCK, pipe } from "./sys.ts";

export type HelperName = "pasta" | "slirp4netns";

export interface Helper {
  name: HelperName;
  path: string;
  /** The nameserver the container should use. */
  dns: string;
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
// slirp4netns answers DNS on 10.0.2.3 itself. pasta of this vintage has no
// resolver address of its own: --dns-forward makes it relay queries sent to
// this link-local address to the host's first resolver (what podman does).
const SLIRP_DNS = "10.0.2.3";
const PASTA_DNS = "169.254.1.1";
const READY_TIMEOUT_MS = 10_000;

/** pasta when installed, else slirp4netns; ZOO_NET_HELPER forces one. */
/** `what` names the flag that asked for user-mode networking, for the error messages. */
export function pickHelper(forced: string | undefined = process.env.ZOO_NET_HELPER, what = "-n"): Helper {
  if (forced !== undefined && forced !== "" && forced !== "pasta" && forced !== "slirp4netns") {
    throw new UsageError(`ZOO_NET_HELPER="${forced}": use "pasta" or "slirp4netns"`);
  }
  const names: HelperName[] = forced ? [forced as HelperName] : ["pasta", "slirp4netns"];
  for (const name of names) {
    const path = Bun.which(name, { PATH: process.env.PATH || DEFAULT_PATH });
    if (!path) continue;
    checkTun(name, what);
    return { name, path, dns: name === "pasta" ? PASTA_DNS : SLIRP_DNS };
  }
  const pkg = (n: HelperName) => (n === "pasta" ? "passt" : n);
  throw new ZooError(`${what} needs ${names.join(" or ")} for user-mode networking: install ${names.map(pkg).join(" or ")}`);
}

// The helper opens /dev/net/tun with our credentials; some systems make it
// root-only (mode 0600), which otherwise surfaces as a cryptic helper error.
function checkTun(name: HelperName, what: string) {
  try {
    accessSync("/dev/net/tun", fsc.R_OK | fsc.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist (load the tun module)" : "is not read-write for this user (as root: chmod 0666 /dev/net/tun)";
    throw new ZooError(`${what}: ${name} needs /dev/net/tun, which ${why}`);
  }
}

/** Starts the helper for `pid`'s netns, returns once eth0 is configured. */
export async function startHelper(h: Helper, pid: number, publish: PortMapping[], cleanup: Cleanup): Promise<void> {
  const dir = mkdtempSync("/tmp/zoo.net-");
  cleanup.adoptDir(dir);
  if (h.name === "pasta") await startPasta(h, pid, publish, dir, cleanup);
  else await startSlirp(h, pid, publish, dir, cleanup);
}

// The helpers print noise such as "Failed to send N bytes to syslog"; the
// reason for a failure is the last other line.
function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !/to syslog$/.test(l));
  return lines.pop() ?? "";
}

async function startPasta(h: Helper, pid: number, publish: PortMapping[], dir: string, cleanup: Cleanup) {
  const pidFile = join(dir, "pasta.pid");
  const fwd = (proto: "tcp" | "udp", flag: string) => {
    const ms = publish.filter((p) => p.protocol === proto);
    return ms.length ? ms.flatMap((p) => [flag, `127.0.0.1/${p.hostPort}:${p.containerPort}`]) : [flag, "none"];
  };
  const args = [
    h.path, "--config-net", "-q", "-I", "eth0",
    ...fwd("tcp", "-t"), ...fwd("udp", "-u"), "-T", "none", "-U", "none",
    // The gateway address would otherwise reach the host's loopback services,
    // which slirp4netns' --disable-host-loopback also forbids.
    "--no-map-gw",
    "--dns-forward", PASTA_DNS,
    "-P", pidFile,
  ];
  // As root, this pasta switches to "nobody" before opening /proc/<pid>/ns/*
  // and then cannot; it still drops its capabilities once set up.
  if (process.geteuid!() === 0) args.push("--runas", "0");
  // A container without a user namespace of its own (rootful zoo run): pasta,
  // having dropped capabilities, may not open its /proc/<pid>/ns files, so it
  // gets the netns as an fd this process opened.
  let nsFd: number | null = null;
  if (sameUserns(pid)) {
    nsFd = openSync(`/proc/${pid}/ns/net`, "r"); // libuv adds O_CLOEXEC
    args.push("--netns", "/proc/self/fd/3");
  } else {
    args.push(String(pid));
  }
  // Without -f pasta forks into the background once the namespace is
  // configured: the launcher's exit is the readiness signal.
  let p;
  try {
    p = Bun.spawn(args, { stdio: ["ignore", "pipe", "pipe", ...(nsFd === null ? [] : [nsFd])] as never, env: {} });
  } finally {
    if (nsFd !== null) closeSync(nsFd);
  }
  const timer = setTimeout(() => p.kill("SIGKILL"), READY_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  let daemon: number | null = null;
  try {
    daemon = Number(readFileSync(pidFile, "utf8").trim()) || null;
  } catch {}
  if (daemon !== null) {
    const d = daemon;
    cleanup.add(`stop pasta (pid ${d})`, () => stopOrphan(d, /^\((pasta|passt)[^)]*\)$/));
    // pasta holds the container's netns: if zoo dies, the shim must stop it.
    cleanup.adoptHelper(d);
  }
  if (code !== 0 || daemon === null) {
    throw new ZooError(`pasta failed to set up the network: ${lastLine(err) || lastLine(out) || `exit ${code ?? p.signalCode}`}`);
  }
}

function sameUserns(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync("/proc/self/ns/user");
  } catch {
    return false;
  }
}

/** Stops a daemonised helper: it is not our child, so poll until it is gone. */
async function stopOrphan(pid: number, comm: RegExp) {
  const state = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Pid reuse: only signal the process if it is still the helper.
      // pasta re-executes itself as passt.avx2 where the CPU has AVX2.
      if (!comm.test(stat.slice(stat.indexOf("("), stat.lastIndexOf(")") + 1))) return "gone";
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z" ? "gone" : "alive";
    } catch {
      return "gone";
    }
  };
  if (state() === "gone") return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && state() === "alive"; i++) await Bun.sleep(20);
  if (state() === "alive") {
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && state() === "alive"; i++) await Bun.sleep(20);
  }
  if (state() === "alive") throw new Error(`pid ${pid} did not exit`);
}

async function startSlirp(h: Helper, pid: number, publish: PortMapping[], dir: string, cleanup: Cleanup) {
  const api = join(dir, "slirp.sock");
  // ready: slirp4netns writes to it once eth0 is configured. exit: it quits
  // when the write end closes — also when zoo dies, so it cannot outlive us.
  const [readyR, readyW] = pipe(O_NONBLOCK);
  let exitR: number, exitW: number;
  try {
    [exitR, exitW] = pipe();
  } catch (e) {
    closeSync(readyR);
    closeSync(readyW);
    throw e;
  }
  let p;
  try {
    p = Bun.spawn(
      [h.path, "--disable-host-loopback", "--mtu=65521", "--enable-seccomp", "--enable-ipv6", "-c",
        "--ready-fd=3", "--exit-fd=4", `--api-socket=${api}`, String(pid), "eth0"],
      { stdio: ["ignore", "pipe", "pipe", readyW, exitR] as never, env: {} },
    );
  } catch (e) {
    closeSync(readyR);
    closeSync(exitW);
    throw e;
  } finally {
    // The child has its own copies now.
    closeSync(readyW);
    closeSync(exitR);
  }
  const proc = p;
  const out = new Response(proc.stdout).text();
  const err = new Response(proc.stderr).text();
  cleanup.add(`stop slirp4netns (pid ${proc.pid})`, async () => {
    closeSync(exitW);
    const t = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(t);
  });
  try {
    await waitReady(readyR, proc.exited);
  } catch (e) {
    if ((e as Error).message === "exited") {
      await proc.exited;
      throw new ZooError(`slirp4netns failed to set up the network: ${lastLine(await err) || lastLine(await out) || `exit ${proc.exitCode}`}`);
    }
    throw e;
  } finally {
    closeSync(readyR);
  }
  for (const m of publish) await slirpHostfwd(api, m);
}

async function waitReady(fd: number, exited: Promise<number>) {
  let done = false;
  void exited.then(() => (done = true));
  const buf = Buffer.alloc(16);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      if (readSync(fd, buf, 0, buf.length, null) > 0) return;
      throw new Error("exited"); // EOF: the helper closed its end without being ready
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
    if (done) throw new Error("exited");
    if (Date.now() > deadline) throw new ZooError("slirp4netns did not configure the network within 10s");
    await Bun.sleep(5);
  }
}

function slirpHostfwd(api: string, m: PortMapping): Promise<void> {
  const req = { execute: "add_hostfwd", arguments: { proto: m.protocol, host_addr: "127.0.0.1", host_port: m.hostPort, guest_port: m.containerPort } };
  // Loaded here, not at the top: node:net costs ~3 ms, and every `zoo run` loads this file.
  const { connect } = require("node:net") as typeof import("node:net");
  return new Promise((resolve, reject) => {
    const s = connect({ path: api });
    let reply = "";
    s.on("connect", () => s.write(JSON.stringify(req)));
    s.on("data", (d) => (reply += d.toString()));
    s.on("error", (e) => reject(new ZooError(`publishing port ${m.hostPort}: ${e.message}`)));
    s.on("close", () => {
      let r: { error?: { desc?: string } } = {};
      try {
        r = JSON.parse(reply);
      } catch {
        return reject(new ZooError(`publishing port ${m.hostPort}: unexpected slirp4netns reply ${JSON.stringify(reply)}`));
      }
      if (r.error) return reject(new ZooError(`publishing port ${m.hostPort}: ${r.error.desc ?? JSON.stringify(r.error)}`));
      resolve();
    });
  });
}
