// `zoo network create|ls|inspect|rm`: parsing only.
import { splitLong } from "./args.ts";
import { UsageError } from "../../util/errors.ts";

export type NetworkCommand =
  | { cmd: "create"; name: string; subnet?: string }
  | { cmd: "ls"; quiet: boolean }
  | { cmd: "inspect"; refs: string[] }
  | { cmd: "rm"; refs: string[] }
  | { cmd: "help" };

export const NETWORK_USAGE = `Usage: zoo network COMMAND

Commands:
  create [--subnet CIDR] [--driver bridge] NAME   a bridge network of its own (subnet default: the next free 10.89.N.0/24)
  ls [-q]                                         list networks
  inspect NAME...                                 show networks as JSON, with their containers
  rm NAME...                                      remove networks no running container uses
`;

export function parseNetworkArgs(argv: string[]): NetworkCommand {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case "--help":
    case "-h":
    case "help":
      return { cmd: "help" };
    case "create":
      return parseCreate(rest);
    case "ls":
    case "list": {
      const bad = rest.find((a) => a !== "-q" && a !== "--quiet");
      if (bad) throw new UsageError(`network ls: unknown argument ${bad} (only -q)`);
      return { cmd: "ls", quiet: rest.length > 0 };
    }
    case "inspect":
    case "rm":
    case "remove": {
      const flag = rest.find((a) => a.startsWith("-"));
      if (flag) throw new UsageError(`network ${cmd}: unknown flag ${flag}`);
      if (!rest.length) throw new UsageError(`network ${cmd}: give at least one network name`);
      return { cmd: cmd === "remove" ? "rm" : cmd, refs: rest };
    }
    default:
      throw new UsageError(`network: unknown command "${cmd}" (create, ls, inspect, rm)`);
  }
}

function parseCreate(argv: string[]): NetworkCommand {
  let subnet: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let val: string | undefined;
    [a, val] = splitLong(a);
    if (a === "--subnet" || a === "--driver" || a === "-d") {
      if (val === undefined) {
        if (++i >= argv.length) throw new UsageError(`network create: ${a} needs a value`);
        val = argv[i]!;
      }
      if (a === "--subnet") subnet = val;
      else if (val !== "bridge") throw new UsageError(`network create: driver "${val}" is not supported; zoo networks are bridges`);
    } else if (a.startsWith("-")) {
      throw new UsageError(`network create: unknown flag ${a} (--subnet CIDR, --driver bridge)`);
    } else if (name === undefined) {
      name = a;
    } else {
      throw new UsageError(`network create: one name only (got "${name}" and "${a}")`);
    }
  }
  if (!name) throw new UsageError("network create: give the network a name: zoo network create [--subnet CIDR] NAME");
  return { cmd: "create", name, subnet };
}
