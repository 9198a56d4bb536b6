// `zoo logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER`.
import { UsageError } from "../../util/errors.ts";
import { repair } from "./finalize.ts";
import { printLogs } from "./logs.ts";
import { containers } from "./show.ts";

export interface LogsOptions {
  container: string;
  follow: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps: boolean;
}

/** Docker's --since/--until: RFC 3339, a unix time, or a duration before now (10m, 1h30m, 5s). */
export function parseTime(v: string, what: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(v);
  if (d && v !== "") return now - ((Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0)) * 60 + Number(d[3] ?? 0)) * 1000 - Number(d[4] ?? 0);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`logs: invalid ${what} "${v}": give a time (2026-01-02T15:04:05Z), a unix timestamp or a duration such as 10m`);
  return t;
}

export async function logs(o: LogsOptions): Promise<number> {
  const cs = containers();
  const id = cs.resolve(o.container);
  await repair(cs, [id]);
  let tail: number | undefined;
  if (o.tail !== undefined && o.tail !== "all") {
    tail = Number(o.tail);
    if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`logs: invalid --tail "${o.tail}": give a number of lines or "all"`);
  }
  await printLogs(
    cs.path(id, "container.log"),
    {
      tail,
      since: o.since ? parseTime(o.since, "--since") : undefined,
      until: o.until ? parseTime(o.until, "--until") : undefined,
      timestamps: o.timestamps,
      follow: o.follow,
      running: () => cs.monitored(id),
    },
    (stream, text) => (stream === "stdout" ? process.stdout : process.stderr).write(text),
  );
  return 0;
}
