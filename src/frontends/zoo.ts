// The `zoo` engine front door: subcommand dispatch only.
import { UsageError } from "../util/errors.ts";

const HELP = `Usage: zoo COMMAND [ARGS...]

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
  const [cmd, ...rest] = argv;
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
      return (await import("../engine/run.ts")).zooRun((await import("../cli/zoo/run.ts")).parseRunArgs(rest));
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
