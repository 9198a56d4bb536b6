// Container networking entry points for the front doors.
//
//   none — a private netns holding only `lo`, brought up.
//   user — `lo` up plus eth0 from a user-mode helper (pasta or slirp4netns).
//
// Call setupNetwork from RunHooks.onChild: the child exists, its id maps are
// written, and it has not run anything yet.
import type { Cleanup } from "../util/cleanup.ts";
import { inNetns } from "./netns.ts";
import type { PortMapping } from "./publish.ts";
import { pickHelper, startHelper, type Helper } from "./usermode.ts";

export type NetworkMode = "none" | "user";

export interface NetworkOptions {
  /** For "user": the helper, from pickHelper() (chosen early so a missing one fails before anything starts). */
  helper?: Helper;
  /** For "user": ports published on 127.0.0.1. */
  publish?: PortMapping[];
}

export async function setupNetwork(mode: NetworkMode, pid: number, cleanup: Cleanup, o: NetworkOptions = {}): Promise<void> {
  await inNetns(pid, [{ op: "linkUp", name: "lo" }]);
  if (mode === "user") await startHelper(o.helper ?? pickHelper(), pid, o.publish ?? [], cleanup);
}

/** /etc/resolv.conf for a container on `helper`'s network. */
export function resolvConf(helper: Helper): string {
  return `# written by zoo for ${helper.name} networking\nnameserver ${helper.dns}\n`;
}

export { pickHelper, type Helper } from "./usermode.ts";
export { parsePublish, type PortMapping } from "./publish.ts";
