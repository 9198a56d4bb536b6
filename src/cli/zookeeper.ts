// `zookeeper [options] <command>`: the seed's flags, parsed like getopt(3) "+hr:m:c:p:Pn".
import { UsageError } from "../util/errors.ts";
import { parseCpuPercent, parseMemory, parsePositiveInt } from "./units.ts";

export const USAGE = `Usage: zookeeper [options] <command>

Options:
    -h         Print this help message and exit
    -r <dir>   Set <dir> as / in the container
    -m <mem>   Limit the amount of memory available to the container
    -c <cpu>   Limit the amount of CPU percentage
    -p <procs> Limit the number of processes the container can create
    -P         Mount /proc inside the container
    -n         Enable networking in the container
    --cgroup-manager cgroupfs|systemd
               Who makes the container's cgroup (default: systemd when it
               runs the machine, else cgroupfs; env ZOO_CGROUP_MANAGER)
`;

export interface ZookeeperOptions {
  help: boolean;
  root?: string;
  memory?: number;
  cpuPercent?: number;
  pids?: number;
  proc: boolean;
  network: boolean;
  cgroupManager?: "cgroupfs" | "systemd";
  command: string[];
}

const WITH_ARG = new Set(["r", "m", "c", "p"]);
const FLAGS = new Set(["h", "P", "n"]);

export function parseZookeeperArgs(argv: string[], cpus: number): ZookeeperOptions {
  const o: ZookeeperOptions = { help: false, proc: false, network: false, command: [] };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break; // first operand: the command
    if (a === "--cgroup-manager" || a.startsWith("--cgroup-manager=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v !== "cgroupfs" && v !== "systemd") throw new UsageError(`--cgroup-manager ${v === undefined ? "needs a value" : JSON.stringify(v)}: want cgroupfs or systemd`);
      o.cgroupManager = v;
      i++;
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if (FLAGS.has(f)) {
        if (f === "h") o.help = true;
        if (f === "P") o.proc = true;
        if (f === "n") o.network = true;
        continue;
      }
      if (!WITH_ARG.has(f)) throw new UsageError(`invalid option -- '${f}' (see zookeeper -h)`);
      let val = a.slice(j + 1);
      if (val === "") {
        i++;
        if (i >= argv.length) throw new UsageError(`option requires an argument -- '${f}' (see zookeeper -h)`);
        val = argv[i]!;
      }
      apply(o, f, val, cpus);
      break;
    }
    i++;
  }
  o.command = argv.slice(i);
  if (!o.help && o.command.length === 0) throw new UsageError("no command given: zookeeper [options] <command> (see zookeeper -h)");
  return o;
}

function apply(o: ZookeeperOptions, f: string, val: string, cpus: number) {
  switch (f) {
    case "r":
      if (val === "") throw new UsageError("-r needs a directory");
      o.root = val;
      return;
    case "m":
      o.memory = parseMemory(val, "-m");
      return;
    case "c":
      o.cpuPercent = parseCpuPercent(val, cpus, "-c");
      return;
    case "p":
      o.pids = parsePositiveInt(val, "-p", "processes");
      return;
  }
}
