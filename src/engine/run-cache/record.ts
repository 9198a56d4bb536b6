// Watches one foreground `zoo run --rm` for its cache entry: the cgroup
// layer and the launch as zoo-runtime's recorder watches them, plus what only
// zoo run does (the container directory's files, its netlink requests, a
// bridge network's lease, the image files the plan came from).
import { readFileSync } from "node:fs";
import type { CgroupState } from "../../cgroups/index.ts";
import { netlinkObserver, type SentRequest } from "../../net/netlink/socket.ts";
import { bridgeObserver } from "../../net/bridge/observer.ts";
import type { NetworkDef } from "../../net/bridge/networks.ts";
import { scopeObserver } from "../../cgroups/systemd/scope.ts";
import { dbusObserver, type SentCall } from "../../sys/dbus/observer.ts";
import { Phase, type PhaseId } from "../../plan/replay-ids.ts";
import { RunRecorder } from "../../runtime/oci/run-cache/record.ts";
import type { Rule } from "../../runtime/device-cgroup/rules.ts";
import { snapshotTree, type Made } from "./snapshot.ts";

export class EngineRecorder extends RunRecorder {
  made: Made[] = [];
  /** Every netlink request of the run, in order, with the phase it was sent in. */
  readonly netlink: (SentRequest & { phase: PhaseId })[] = [];
  /** A bridge network's lease: the network, whether it had no other, and the lease file's last text before the teardown. */
  bridge: { net: NetworkDef; alone: boolean; root: string; text?: string } | null = null;
  cgroup: CgroupState | null = null;
  devices: Rule[] | undefined;
  /** Files whose exact bytes the run depended on, read when it used them. */
  readonly files = new Map<string, Uint8Array>();
  /** systemd's cgroup manager: the bus calls, then the scope zoo was moved into. */
  readonly dbus: SentCall[] = [];
  scope: { unit: string; timeoutMs: number; leaf: string; leafMode: number } | null = null;

  constructor(argv: string[], storeRoot: string) {
    super(argv, storeRoot);
    // The request itself, not a copy: its answer is filled in when it comes.
    netlinkObserver.sent = (r) => void this.netlink.push(Object.assign(r, { phase: this.phase }));
    netlinkObserver.transaction = (what) => this.refuse(`an nftables transaction (${what})`);
    bridgeObserver.unrecordable = (why) => this.refuse(why);
    bridgeObserver.reserved = (b) => {
      if (this.bridge) this.refuse("more than one bridge network");
      this.bridge = { ...b };
      // The veth request names the bridge by index, and the bridge must be up as it was.
      this.dependsOn(`/sys/class/net/${b.net.bridge}/ifindex`);
      this.dependsOn(`/sys/class/net/${b.net.bridge}/flags`);
    };
    bridgeObserver.wrote = (root, bridge, text) => {
      if (this.phase === Phase.TEARDOWN || !this.bridge || this.bridge.root !== root || this.bridge.net.bridge !== bridge) this.refuse(`a lease file of ${bridge} written out of turn`);
      else this.bridge.text = text;
    };
    dbusObserver.sent = (c) => void this.dbus.push({ ...c, bytes: c.bytes.slice() });
    scopeObserver.joined = (j) => {
      if (this.scope) this.refuse("joined two scopes");
      this.scope = j;
    };
  }

  /** The container directory as it is just before launch. */
  snapshot(dir: string): void {
    try {
      this.made = snapshotTree(dir);
    } catch (e) {
      this.refuse((e as Error).message);
    }
  }

  dependsOn(path: string): void {
    try {
      this.files.set(path, readFileSync(path));
    } catch (e) {
      this.refuse(`cannot read ${path}: ${(e as Error).message}`);
    }
  }

  stop(): void {
    netlinkObserver.sent = undefined;
    netlinkObserver.transaction = undefined;
    bridgeObserver.reserved = undefined;
    bridgeObserver.unrecordable = undefined;
    bridgeObserver.wrote = undefined;
    dbusObserver.sent = undefined;
    scopeObserver.joined = undefined;
  }
}
