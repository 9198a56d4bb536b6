// Watches one foreground `zoo run --rm` for its cache entry: the cgroup
// layer and the launch as zoo-runtime's recorder watches them, plus what only
// zoo run does (the container directory's files, the netlink requests in the
// container's namespace, the image files the plan came from).
import { readFileSync } from "node:fs";
import type { CgroupState } from "../../cgroups/index.ts";
import { netnsObserver } from "../../net/netns.ts";
import { scopeObserver } from "../../cgroups/systemd/scope.ts";
import { dbusObserver, type SentCall } from "../../sys/dbus/observer.ts";
import { RunRecorder } from "../../runtime/oci/run-cache/record.ts";
import type { Rule } from "../../runtime/device-cgroup/rules.ts";
import { snapshotTree, type Made } from "./snapshot.ts";

export class EngineRecorder extends RunRecorder {
  made: Made[] = [];
  readonly netlink: { pid: number; message: Uint8Array }[] = [];
  cgroup: CgroupState | null = null;
  devices: Rule[] | undefined;
  /** Files whose exact bytes the run depended on, read when it used them. */
  readonly files = new Map<string, Uint8Array>();
  /** systemd's cgroup manager: the bus calls, then the scope zoo was moved into. */
  readonly dbus: SentCall[] = [];
  scope: { unit: string; timeoutMs: number; leaf: string; leafMode: number } | null = null;

  constructor(argv: string[], storeRoot: string) {
    super(argv, storeRoot);
    netnsObserver.sent = (pid, message) => void this.netlink.push({ pid, message: message.slice() });
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
    netnsObserver.sent = undefined;
    dbusObserver.sent = undefined;
    scopeObserver.joined = undefined;
  }
}
