// `zoo run [flags] IMAGE [CMD...]`: parsing only.
import { splitLong } from "./args.ts";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { UsageError } from "../../util/errors.ts";
import { parseMemory, parsePositiveInt } from "../units.ts";
import { checkDistinct, parsePort, type PortMapping } from "../../net/publish.ts";

export interface RunFlags {
  rm: boolean;
  name?: string;
  env: string[];
  workdir?: string;
  hostname?: string;
  memory?: number;
  cpus?: number;
  pidsLimit?: number;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  /** Absent: the default profile. */
  seccomp?: "unconfined" | { file: string };
  noNewPrivileges: boolean;
  /** --network: bridge, NAME, none, host, pasta, slirp4netns, container:NAME. */
  network?: string;
  /** Second and further --network flags. */
  moreNetworks?: string[];
  ip?: string;
  publish: PortMapping[];
  /** Image-side flags (src/image/run-config.ts applies them). */
  user?: string;
  entrypoint?: string;
  volumes: string[];
  tmpfs: string[];
  readOnly: boolean;
  image: string;
  command: string[];
  /** -d: leave the container running under its monitor and print its id. */
  detach?: boolean;
  /** -t: a pty held by the monitor; -i: our stdin goes to it. */
  tty?: boolean;
  interactive?: boolean;
  /** --init: zoo-shim's init as the container's PID 1. */
  init?: boolean;
  /** --health-cmd and its timing (Docker's durations: 30s, 1m30s, 500ms). */
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  /** --stop-signal: what `zoo stop` sends first (default: the image's StopSignal, else SIGTERM). */
  stopSignal?: string;
  /** --restart no|on-failure[:N]|always|unless-stopped. */
  restart?: string;
  /** --log-opt max-size=SIZE, max-file=N. */
  logOpts?: string[];
}

const VALUE_FLAGS: Record<string, keyof RunFlags | "env" | "securityOpt" | "envFile"> = {
  "-e": "env", "--env": "env", "-w": "workdir", "--workdir": "workdir", "-h": "hostname", "--hostname": "hostname",
  "-m": "memory", "--memory": "memory", "--cpus": "cpus", "--pids-limit": "pidsLimit", "--name": "name",
  "--cap-add": "capAdd", "--cap-drop": "capDrop", "--security-opt": "securityOpt",
  "--network": "network", "--net": "network", "--ip": "ip", "-p": "publish", "--publish": "publish",
  "--restart": "restart", "--log-opt": "logOpts",
  "-u": "user", "--user": "user", "--entrypoint": "entrypoint", "-v": "volumes", "--volume": "volumes", "--tmpfs": "tmpfs",
  "--env-file": "envFile",
  "--health-cmd": "healthCmd", "--health-interval": "healthInterval", "--health-timeout": "healthTimeout",
  "--health-retries": "healthRetries", "--health-start-period": "healthStartPeriod", "--stop-signal": "stopSignal",
};

export function parseRunArgs(argv: string[]): RunFlags {
  const f: RunFlags = { rm: false, env: [], capAdd: [], capDrop: [], privileged: false, noNewPrivileges: false, publish: [], volumes: [], tmpfs: [], readOnly: false, image: "", command: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    if (a === "--rm") {
      f.rm = true;
      continue;
    }
    if (a === "--privileged") {
      f.privileged = true;
      continue;
    }
    if (a === "--init") {
      f.init = true;
      continue;
    }
    // -d, -i, -t and bundles of them (-it, -dit).
    if (/^-[dit]+$/.test(a) || a === "--detach" || a === "--tty" || a === "--interactive") {
      if (a === "--detach" || (!a.startsWith("--") && a.includes("d"))) f.detach = true;
      if (a === "--tty" || (!a.startsWith("--") && a.includes("t"))) f.tty = true;
      if (a === "--interactive" || (!a.startsWith("--") && a.includes("i"))) f.interactive = true;
      continue;
    }
    if (a === "--read-only") {
      f.readOnly = true;
      continue;
    }
    let val: string | undefined;
    [a, val] = splitLong(a);
    const key = VALUE_FLAGS[a];
    if (!key) throw new UsageError(`run: unknown flag ${a} (see zoo run --help)`);
    if (val === undefined) {
      if (++i >= argv.length) throw new UsageError(`run: flag ${a} needs a value`);
      val = argv[i]!;
    }
    setFlag(f, key, a, val);
  }
  const image = argv[i];
  if (!image) throw new UsageError("run: no image given: zoo run [flags] IMAGE [COMMAND...] (try: zoo run --rm busybox echo hello)");
  f.image = image;
  f.command = argv.slice(i + 1);
  checkDistinct(f.publish, "run: -p");
  return f;
}

function setFlag(f: RunFlags, key: string, flag: string, val: string) {
  switch (key) {
    case "env":
      f.env.push(val);
      return;
    case "memory":
      f.memory = parseMemory(val, flag);
      return;
    case "cpus": {
      const n = Number(val);
      if (!(n > 0) || n > availableParallelism()) throw new UsageError(`run: invalid ${flag} "${val}": give a number of CPUs above 0, at most ${availableParallelism()}`);
      f.cpus = n;
      return;
    }
    case "pidsLimit":
      f.pidsLimit = parsePositiveInt(val, flag, "pids");
      return;
    case "workdir":
      if (!val.startsWith("/")) throw new UsageError(`run: ${flag} "${val}" must be an absolute path`);
      f.workdir = val;
      return;
    case "hostname":
      f.hostname = val;
      return;
    case "name":
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(val)) throw new UsageError(`run: ${flag} "${val}": names use letters, digits, _ . - and start with a letter or digit`);
      f.name = val;
      return;
    case "network":
      if (val === "") throw new UsageError(`run: ${flag} needs a value: bridge, none, host, pasta, slirp4netns, container:NAME or a network name`);
      // Repeated: one more network (Docker 25+, podman), bridge networks only.
      if (f.network === undefined) f.network = val;
      else (f.moreNetworks ??= []).push(val);
      return;
    case "ip":
      f.ip = val;
      return;
    case "publish":
      f.publish.push(parsePort(val, `run: ${flag}`));
      return;
    case "user":
      if (val === "") throw new UsageError(`run: ${flag} needs USER[:GROUP] (names or numbers)`);
      f.user = val;
      return;
    case "entrypoint":
      f.entrypoint = val;
      return;
    case "volumes":
    case "tmpfs":
      f[key].push(val);
      return;
    case "envFile":
      f.env.push(...readEnvFile(val, flag));
      return;
    case "capAdd":
    case "capDrop":
      // Docker also takes comma-separated lists in one flag.
      for (const c of val.split(",")) {
        if (c.trim() === "") throw new UsageError(`run: ${flag} needs a capability name (e.g. NET_ADMIN, or ALL)`);
        f[key].push(c.trim());
      }
      return;
    case "securityOpt":
      securityOpt(f, flag, val);
      return;
    case "restart":
      f.restart = val;
      return;
    case "logOpts":
      (f.logOpts ??= []).push(val);
      return;
    case "healthCmd":
    case "healthInterval":
    case "healthTimeout":
    case "healthRetries":
    case "healthStartPeriod":
    case "stopSignal":
      f[key] = val;
      return;
  }
}

/** Docker's env-file: KEY=VALUE lines, # comments, and a bare KEY taken from zoo's own environment. */
export function parseEnvFile(text: string, flag: string, file: string): string[] {
  const out: string[] = [];
  for (const [n, raw] of text.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).trimStart();
    if (key === "" || /\s/.test(key)) throw new UsageError(`run: ${flag} ${file}:${n + 1}: "${line}" is not KEY=VALUE`);
    if (eq >= 0) out.push(`${key}${line.slice(eq)}`);
    else if (process.env[key] !== undefined) out.push(`${key}=${process.env[key]}`);
  }
  return out;
}

function readEnvFile(file: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`run: ${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseEnvFile(text, flag, file);
}

function securityOpt(f: RunFlags, flag: string, val: string) {
  const eq = val.indexOf("=");
  const name = eq < 0 ? val : val.slice(0, eq);
  const arg = eq < 0 ? undefined : val.slice(eq + 1);
  if (name === "no-new-privileges") {
    if (arg === undefined || arg === "true") f.noNewPrivileges = true;
    else if (arg === "false") f.noNewPrivileges = false;
    else throw new UsageError(`run: ${flag} no-new-privileges="${arg}": give true or false`);
    return;
  }
  if (name === "seccomp") {
    if (!arg) throw new UsageError(`run: ${flag} seccomp needs a value: seccomp=unconfined or seccomp=FILE (a Docker/OCI seccomp JSON profile)`);
    f.seccomp = arg === "unconfined" ? "unconfined" : { file: arg };
    return;
  }
  throw new UsageError(`run: ${flag} "${val}": unsupported; zoo knows seccomp=unconfined|FILE and no-new-privileges`);
}
