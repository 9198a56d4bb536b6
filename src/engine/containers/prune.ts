// `zoo container prune [-f]`: removes every container that is not running.
import { UsageError } from "../../util/errors.ts";
import { repair } from "./finalize.ts";
import { removeContainer } from "./remove.ts";
import { containers } from "./show.ts";

export async function prune(argv: string[]): Promise<number> {
  for (const a of argv) if (a !== "-f" && a !== "--force") throw new UsageError(`container prune: unknown flag ${a}`);
  const cs = containers();
  await repair(cs);
  process.stdout.write("Deleted Containers:\n");
  for (const { config, state } of cs.all()) {
    if (state.status !== "exited" && state.status !== "created" && state.status !== "dead") continue;
    if (cs.monitored(config.id)) continue;
    await removeContainer(cs, config.id);
    process.stdout.write(`${config.id}\n`);
  }
  return 0;
}
