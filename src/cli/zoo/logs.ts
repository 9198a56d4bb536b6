// `zoo logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER`: parsing only.
import type { LogsOptions } from "../../engine/containers/logs-command.ts";
import { needArgs, parseArgs } from "./args.ts";

export function parseLogsArgs(argv: string[]): LogsOptions {
  const { flags, args } = parseArgs("logs", argv, {
    bool: { "-f": "follow", "--follow": "follow", "-t": "timestamps", "--timestamps": "timestamps", "--details": "details" },
    value: { "-n": "tail", "--tail": "tail", "--since": "since", "--until": "until" },
  });
  needArgs("logs", args, 1, "logs [OPTIONS] CONTAINER");
  return {
    container: args[0]!,
    follow: !!flags.follow,
    timestamps: !!flags.timestamps,
    tail: flags.tail as string | undefined,
    since: flags.since as string | undefined,
    until: flags.until as string | undefined,
  };
}
