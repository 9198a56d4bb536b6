// The `zoo` engine front door: subcommand dispatch only.
import { UsageError } from "../util/errors.ts";
import { IMAGE_COMMANDS, IMAGE_HELP, takeGlobalRoot } from "../cli/zoo/image-commands.ts";

const HELP = `Usage: zoo [--root DIR] COMMAND [ARGS...]

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
  const [cmd, ...rest] = takeGlobalRoot(argv);
  switch (cmd) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP);
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`zoo version ${(await import("../version.ts")).VERSION}\n`);
      return 0;
    case "run":
      return (await import("../engine/run.ts")).zooRun((await import("../cli/zoo/run.ts")).parseRunArgs(rest));
    case "network":
      return (await import("../engine/networks.ts")).zooNetwork((await import("../cli/zoo/network.ts")).parseNetworkArgs(rest));
    default:
      if (IMAGE_COMMANDS.has(cmd)) return (await import("../cli/zoo/image-commands.ts")).imageCommand(cmd, rest);
      throw new UsageError(`unknown command "${cmd}" (see zoo --help)`);
  }
}
