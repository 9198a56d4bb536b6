// `zoo stats [--no-stream] [-a] [--no-trunc] [--format TPL] [CONTAINER...]`: parsing only.
import type { StatsOptions } from "../../engine/containers/stats.ts";
import { parseArgs } from "./args.ts";

export function parseStatsArgs(argv: string[]): StatsOptions {
  const { flags, args } = parseArgs("stats", argv, {
    bool: { "-a": "all", "--all": "all", "--no-stream": "noStream", "--no-trunc": "noTrunc" },
    value: { "--format": "format" },
  });
  return { containers: args, all: !!flags.all, noStream: !!flags.noStream, noTrunc: !!flags.noTrunc, format: flags.format as string | undefined };
}
