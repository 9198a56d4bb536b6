// The `zoo` engine front door: subcommand dispatch only.
import { UsageError } from "../util/errors.ts";
import { IMAGE_COMMANDS, IMAGE_HELP, takeGlobalRoot } from "../cli/zoo/image-commands.ts";
import { writeOut } from "../util/stdio.ts";

const HELP = `Usage: zoo [--root DIR] [--cgroup-manager cgroupfs|systemd] COMMAND [ARGS...]

Commands:
  run [--rm] [-e K=V] [-w DIR] [-h HOST] [-m MEM] [--cpus N] [--pids-limit N]
      [--cap-add CAP] [--cap-drop CAP] [--privileged]
      [--security-opt seccomp=unconfined|FILE] [--security-opt no-new-privileges]
      [--name NAME] [--network bridge|NAME|none|host|pasta|slirp4netns|container:NAME]
      [--ip ADDR[/PREFIX]] [-p HOSTPORT:PORT[/tcp|udp]]
      [--env-file FILE] [-u USER[:GROUP]] [--entrypoint CMD] [-v HOSTDIR:DIR[:ro]]
      [--tmpfs DIR[:OPTS]] [--read-only] IMAGE [CMD...]
               run a command in a new container (foreground)
  network create|ls|inspect|rm
               bridge networks (zoo network --help)
${IMAGE_HELP}  version      show the version
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
      writeOut(HELP + (await import("../engine/containers/dispatch.ts")).CONTAINER_HELP);
      return 0;
    case "version":
    case "--version":
      writeOut(`zoo version ${(await import("../version.ts")).VERSION}\n`);
      return 0;
    case "run":
      return (await import("../engine/run.ts")).zooRun((await import("../cli/zoo/run.ts")).parseRunArgs(rest), { cgroupManager, argv });
    case "network":
      return (await import("../engine/networks.ts")).zooNetwork((await import("../cli/zoo/network.ts")).parseNetworkArgs(rest));
    default: {
      if (IMAGE_COMMANDS.has(cmd)) {
        // The executable starts with a reluctant JIT (scripts/build.ts); pulling,
        // unpacking and saving layers is work it should compile.
        Bun.unsafe.setJITPolicy(1);
        return (await import("../cli/zoo/image-commands.ts")).imageCommand(cmd, rest);
      }
      const r = (await import("../engine/containers/dispatch.ts")).containerCommand(cmd, rest);
      if (r) return r;
      throw new UsageError(`unknown command "${cmd}" (see zoo --help)`);
    }
  }
}

/** Flags before the command, in any order: --root (the store) and --cgroup-manager (podman's place for it). */
function globalFlags(argv: string[]): { cgroupManager?: "cgroupfs" | "systemd"; rest: string[] } {
  let cgroupManager: "cgroupfs" | "systemd" | undefined;
  let rest = argv;
  for (;;) {
    const before = rest.length;
    rest = takeGlobalRoot(rest);
    const a = rest[0];
    if (a === "--cgroup-manager" || a?.startsWith("--cgroup-manager=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : rest[1];
      if (v !== "cgroupfs" && v !== "systemd") throw new UsageError(`--cgroup-manager ${v === undefined ? "needs a value" : JSON.stringify(v)}: want cgroupfs or systemd`);
      cgroupManager = v;
      rest = rest.slice(a.includes("=") ? 1 : 2);
    }
    if (rest.length === before) return { cgroupManager, rest };
  }
}
