// The `zoo` engine front door: subcommand dispatch only.
import { UsageError } from "../util/errors.ts";

const HELP = `Usage: zoo [--cgroup-manager cgroupfs|systemd] COMMAND [ARGS...]

Commands:
  run [--rm] [-e K=V] [-w DIR] [-h HOST] [-m MEM] [--cpus N] [--pids-limit N]
      [--cap-add CAP] [--cap-drop CAP] [--privileged]
      [--security-opt seccomp=unconfined|FILE] [--security-opt no-new-privileges]
      [--name NAME] [--network bridge|NAME|none|host|pasta|slirp4netns|container:NAME]
      [--ip ADDR[/PREFIX]] [-p HOSTPORT:PORT[/tcp|udp]] IMAGE [CMD...]
               run a command in a new container (foreground)
  network create|ls|inspect|rm
               bridge networks (zoo network --help)
  images       list images in the local store
  version      show the version
`;

export async function zooMain(argv: string[]): Promise<number> {
  const { cgroupManager, rest: afterGlobals } = globalFlags(argv);
  // Also for the engine's own commands (start, restart) and the monitor's
  // restarts, which read the manager from the environment.
  if (cgroupManager) process.env.ZOO_CGROUP_MANAGER = cgroupManager;
  const [cmd, ...rest] = afterGlobals;
  switch (cmd) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP + (await import("../engine/containers/dispatch.ts")).CONTAINER_HELP);
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`zoo version ${(await import("../version.ts")).VERSION}\n`);
      return 0;
    case "run":
      return (await import("../engine/run.ts")).zooRun((await import("../cli/zoo/run.ts")).parseRunArgs(rest), { cgroupManager });
    case "network":
      return (await import("../engine/networks.ts")).zooNetwork((await import("../cli/zoo/network.ts")).parseNetworkArgs(rest));
    case "images":
      return (await import("../engine/images.ts")).zooImages();
    default: {
      const r = (await import("../engine/containers/dispatch.ts")).containerCommand(cmd, rest);
      if (r) return r;
      throw new UsageError(`unknown command "${cmd}" (see zoo --help)`);
    }
  }
}

/** Flags before the command (podman's place for --cgroup-manager). */
function globalFlags(argv: string[]): { cgroupManager?: "cgroupfs" | "systemd"; rest: string[] } {
  let cgroupManager: "cgroupfs" | "systemd" | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a !== "--cgroup-manager" && !a.startsWith("--cgroup-manager=")) break;
    const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
    if (v !== "cgroupfs" && v !== "systemd") throw new UsageError(`--cgroup-manager ${v === undefined ? "needs a value" : JSON.stringify(v)}: want cgroupfs or systemd`);
    cgroupManager = v;
  }
  return { cgroupManager, rest: argv.slice(i) };
}
