// `zoo-runtime events [--stats] [--interval D] ID`; D in Go's duration syntax (5s, 500ms, 1m).
import { UsageError } from "../../util/errors.ts";
import { expectArgs, parseFlags, str } from "./flags.ts";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(v: string, flag: string): number {
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== v) throw new UsageError(`events: ${flag} ${JSON.stringify(v)}: want a duration such as 5s, 500ms or 1m`);
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
  if (!(ms >= 1)) throw new UsageError(`events: ${flag} ${JSON.stringify(v)}: must be at least 1ms`);
  return ms;
}

export function parseEvents(argv: string[]): { id: string; stats: boolean; intervalMs: number } {
  const { flags, args } = parseFlags(argv, { bool: { stats: "stats" }, value: { interval: "interval" } }, "events");
  const [id] = expectArgs(args, ["ID"], "events");
  const interval = str(flags.interval);
  return { id: id!, stats: flags.stats === true, intervalMs: interval === undefined ? 5000 : parseDuration(interval, "--interval") };
}
