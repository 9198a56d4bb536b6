// `zoo ps [-a] [-q] [-l] [--no-trunc] [--filter K=V] [--format TPL]`: parsing only.
import type { PsOptions } from "../../engine/containers/show.ts";
import { UsageError } from "../../util/errors.ts";
import { parseArgs } from "./args.ts";

export function parsePsArgs(argv: string[]): PsOptions {
  const { flags, args } = parseArgs("ps", argv, {
    bool: { "-a": "all", "--all": "all", "-q": "quiet", "--quiet": "quiet", "--no-trunc": "noTrunc", "-l": "latest", "--latest": "latest" },
    value: { "--format": "format" },
    multi: { "-f": "filters", "--filter": "filters" },
  });
  if (args.length) throw new UsageError(`ps: unexpected argument "${args[0]}" (zoo ps [-a] [-q] [--filter K=V] [--format TPL])`);
  return {
    all: !!flags.all,
    quiet: !!flags.quiet,
    noTrunc: !!flags.noTrunc,
    latest: !!flags.latest,
    filters: flags.filters as string[],
    format: flags.format as string | undefined,
  };
}
