// `zoo container cleanup --root STORE ID`: the exit command of a container's
// monitor (never typed by users). It runs in the monitor's place, holding the
// monitor lock the monitor held: finalize, then carry out the restart policy
// by starting a new monitor, which inherits the same lock, so no other zoo
// command ever sees the container without someone in charge.
import { readdirSync, readlinkSync } from "node:fs";
import { removeContainer } from "./remove.ts";
import { backoffMs, finalize, shouldRestart } from "./finalize.ts";
import { startContainer } from "./start.ts";
import { Containers } from "./store.ts";

function inheritedFd(path: string): number | undefined {
  for (const e of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${e}`) === path) return Number(e);
    } catch {}
  }
  return undefined;
}

export async function containerCleanup(root: string, id: string): Promise<number> {
  // The monitor passes no environment on; nft and friends need a PATH.
  process.env.PATH ||= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const cs = new Containers(root);
  let restart = await cs.locked(id, () => finalize(cs, id, { repair: false }));
  while (restart) {
    await Bun.sleep(backoffMs(cs.state(id).restartCount));
    restart = await cs.locked(id, async () => {
      const s = cs.state(id);
      if (s.status !== "restarting" || s.stoppedByUser) {
        if (s.status === "restarting") cs.writeState(id, { ...s, status: "exited" });
        return false;
      }
      cs.writeState(id, { ...s, restartCount: s.restartCount + 1 });
      try {
        await startContainer(cs, id, { lockFd: inheritedFd(cs.path(id, "monitor.lock")) });
        return false;
      } catch {
        // The failure is in the state's error; the policy decides about another try.
        const after = cs.state(id);
        const again = shouldRestart(cs.config(id).restart, { ...after, exitCode: after.exitCode || 125 });
        cs.writeState(id, { ...after, status: again ? "restarting" : "exited" });
        return again;
      }
    });
  }
  const cfg = cs.config(id);
  if (cfg.flags.rm && cs.state(id).status === "exited") await removeContainer(cs, id);
  return 0;
}
