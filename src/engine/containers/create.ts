// `zoo create` (and the first half of `zoo run -d`): a container record with
// a unique name, nothing running yet. Every flag is checked here, before the
// record exists, so bad input leaves nothing behind.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { RunFlags } from "../../cli/zoo/run.ts";
import { defaultStoreRoot, Store } from "../../image/store.ts";
import { UsageError, ZooError } from "../../util/errors.ts";
import { chooseNetwork } from "../network.ts";
import { specFromImage } from "../image-spec.ts";
import { resolveSecurity } from "../security.ts";
import { generateName } from "./names.ts";
import { Containers, initialState, type LogOptions, type RestartPolicy } from "./store.ts";
import { parseBytes } from "./units.ts";
import { healthConfig } from "./health.ts";
import { signalNumber } from "./signals.ts";

export interface EngineFlags {
  restart?: string;
  logOpts: string[];
}

export function parseRestart(v: string | undefined): RestartPolicy {
  if (v === undefined || v === "no") return { name: "no", maxRetries: 0 };
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(v);
  if (!m || (m[2] !== undefined && m[1] !== "on-failure")) {
    throw new UsageError(`invalid --restart "${v}": give no, always, unless-stopped, on-failure or on-failure:N`);
  }
  return { name: m[1] as RestartPolicy["name"], maxRetries: m[2] ? Number(m[2]) : 0 };
}

/** --log-opt max-size=10m, max-file=3 (json-file's names); no rotation by default, as Docker. */
export function parseLogOpts(opts: string[]): LogOptions {
  const o: LogOptions = { maxSize: 0, maxFiles: 1 };
  for (const kv of opts) {
    const [k, v] = [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)];
    if (k === "max-size") o.maxSize = parseBytes(v, "--log-opt max-size");
    else if (k === "max-file") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`invalid --log-opt max-file "${v}": give a number from 1 to 1000`);
      o.maxFiles = n;
    } else throw new UsageError(`unknown --log-opt "${kv}": zoo knows max-size=SIZE and max-file=N`);
  }
  return o;
}

export async function createContainer(f: RunFlags & Partial<EngineFlags>): Promise<{ cs: Containers; id: string; name: string }> {
  const rootless = process.geteuid!() !== 0;
  const store = new Store(defaultStoreRoot());
  const cs = new Containers(store.root);
  const id = randomBytes(32).toString("hex");
  const restart = parseRestart(f.restart);
  const log = parseLogOpts(f.logOpts ?? []);
  const health = healthConfig(f);
  if (restart.name !== "no" && f.rm) throw new UsageError("--restart and --rm cannot be used together: a container that restarts is never removed");
  // Checked now, done again at every start.
  const { image, spec } = await specFromImage(store, f, id, rootless, resolveSecurity(f));
  // The image's StopSignal unless --stop-signal; checked now.
  const stopSignal = f.stopSignal ?? (image.config.config as { StopSignal?: string } | undefined)?.StopSignal;
  if (stopSignal !== undefined) signalNumber(stopSignal);
  chooseNetwork(f, store.root, rootless);
  const name = await cs.storeLocked(() => {
    const all = cs.all();
    if (f.name) {
      const clash = all.find((c) => c.config.name === f.name);
      if (clash) {
        throw new ZooError(
          `Conflict. The container name "/${f.name}" is already in use by container "${clash.config.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    }
    const name = f.name ?? generateName(new Set(all.map((c) => c.config.name)));
    mkdirSync(cs.path(id), { recursive: true, mode: 0o711 });
    cs.writeState(id, initialState());
    cs.writeConfig({
      id, name, created: new Date().toISOString(), image: f.image, imageId: image.id, flags: { ...f, name }, restart, log,
      args: spec.process!.args!, hostname: spec.hostname!, rootless, health, stopSignal,
    });
    return name;
  });
  return { cs, id, name };
}
