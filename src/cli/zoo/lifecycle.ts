// start, stop, restart, kill, rm, wait, pause, unpause, rename, inspect, port,
// top: the container subcommands whose arguments are flags and container
// names. Parsing only; each returns what the engine needs.
import { needArgs, intFlag, parseArgs } from "./args.ts";

export function parseStop(cmd: "stop" | "restart", argv: string[]) {
  const { flags, args } = parseArgs(cmd, argv, { value: { "-t": "time", "--time": "time", "--timeout": "time", "-s": "signal", "--signal": "signal" } });
  needArgs(cmd, args, 1, `${cmd} [-t SECONDS] CONTAINER [CONTAINER...]`);
  return { containers: args, timeout: intFlag(cmd, "-t", flags.time, 10), signal: flags.signal as string | undefined };
}

export function parseKill(argv: string[]) {
  const { flags, args } = parseArgs("kill", argv, { value: { "-s": "signal", "--signal": "signal" } });
  needArgs("kill", args, 1, "kill [-s SIGNAL] CONTAINER [CONTAINER...]");
  return { containers: args, signal: (flags.signal as string | undefined) ?? "KILL" };
}

export function parseRm(argv: string[]) {
  const { flags, args } = parseArgs("rm", argv, { bool: { "-f": "force", "--force": "force", "-v": "volumes", "--volumes": "volumes" } });
  needArgs("rm", args, 1, "rm [-f] CONTAINER [CONTAINER...]");
  return { containers: args, force: !!flags.force };
}

export function parseStart(argv: string[]) {
  const { flags, args } = parseArgs("start", argv, { bool: { "-a": "attach", "--attach": "attach", "-i": "interactive", "--interactive": "interactive" } });
  needArgs("start", args, 1, "start [-a] CONTAINER [CONTAINER...]");
  return { containers: args, attach: !!flags.attach };
}

/** wait, pause, unpause: containers only. */
export function parseNames(cmd: string, argv: string[]) {
  const { args } = parseArgs(cmd, argv, {});
  needArgs(cmd, args, 1, `${cmd} CONTAINER [CONTAINER...]`);
  return args;
}

export function parseInspect(argv: string[]) {
  const { flags, args } = parseArgs("inspect", argv, { value: { "-f": "format", "--format": "format", "--type": "type" }, bool: { "-s": "size", "--size": "size" } });
  needArgs("inspect", args, 1, "inspect [-f FORMAT] CONTAINER [CONTAINER...]");
  return { containers: args, format: flags.format as string | undefined };
}

export function parseRename(argv: string[]) {
  const { args } = parseArgs("rename", argv, {});
  needArgs("rename", args, 2, "rename CONTAINER NEW_NAME");
  return { container: args[0]!, name: args[1]! };
}

export function parsePort(argv: string[]) {
  const { args } = parseArgs("port", argv, {});
  needArgs("port", args, 1, "port CONTAINER [PRIVATE_PORT[/PROTO]]");
  return { container: args[0]!, port: args[1] };
}

export function parseTop(argv: string[]) {
  needArgs("top", argv, 1, "top CONTAINER [ps OPTIONS]");
  return { container: argv[0]!, psArgs: argv.slice(1) };
}
