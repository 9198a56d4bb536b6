// `zoo run`: image + flags → OCI config → the shared runtime, in the foreground.
import { join } from "node:path";
import type { RunFlags } from "../cli/zoo/run.ts";
import type { Spec } from "../oci/spec.ts";
import { defaultStoreRoot, Store } from "../image/store.ts";
import { prepareContainerRoot } from "../image/rootfs.ts";
import { callerMappings } from "../runtime/idmap.ts";
import { cpuPercentToQuota } from "../cgroups/index.ts";
import { runForeground } from "../runtime/run.ts";
import { containerCgroups } from "../runtime/cgroup-setup.ts";
import { cgroupParentFor, type CgroupManager } from "../cgroups/systemd/index.ts";
import { dieBySignal } from "../sys/libc.ts";
import { UsageError } from "../util/errors.ts";
import { DEFAULT_PATH, defaultMounts } from "./defaults.ts";
import { resolveSecurity, type Security } from "./security.ts";
import { removeTree } from "./remove.ts";
import { Cleanup } from "../util/cleanup.ts";
import { applyNetworkToSpec, chooseNetwork, prepareNetwork } from "./network.ts";
import { containerRules } from "../runtime/device-cgroup/rules.ts";
import { specFromImage } from "./image-spec.ts";
import { writeErr } from "../util/stdio.ts";

const OOM_MESSAGE = "zoo: the container ran out of memory and was killed\n";

/** `g.argv`: zoo's arguments as given, for the run cache's key. */
export async function zooRun(f: RunFlags, g: { cgroupManager?: CgroupManager; argv?: string[] } = {}): Promise<number> {
  // Kept containers (and -d) live in the container store under a monitor.
  if (f.detach || !f.rm || f.tty || f.interactive || f.init || f.healthCmd !== undefined || f.restart !== undefined || f.logOpts?.length) {
    const engine = await import("./containers/run.ts");
    return f.detach ? engine.runDetached(f) : engine.runAttached(f);
  }
  const store = new Store(defaultStoreRoot());
  const cacheArgs = { argv: g.argv ?? [], euid: process.geteuid!(), main: Bun.main, env: process.env };
  // Loaded only when this run can have an entry: most runs never pay for the module.
  const cache = g.argv && (await import("./run-cache/eligible.ts")).engineRunIneligible(f, cacheArgs) === null ? await import("./run-cache/index.ts") : null;
  const recorder = cache?.watchEngineRun(g.argv!, store.root) ?? undefined;
  // Web Crypto: node:crypto costs ~7 ms to load.
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  const dir = store.containerDir(id);
  const upper = join(dir, "upper");
  const work = join(dir, "work");
  const rootless = process.geteuid!() !== 0;
  const security = resolveSecurity(f);
  const { image, spec, lower } = await specFromImage(store, f, id, rootless, security);
  // The image as found: the entry holds only while the store's index says the same.
  recorder?.dependsOn(join(store.root, "images.json"));
  // Before anything exists: a bad --network, --ip or -p fails here.
  const network = chooseNetwork(f, store.root, rootless);
  const maps = rootless ? { uid: spec.linux!.uidMappings!, gid: spec.linux!.gidMappings! } : null;
  const undo = new Cleanup();
  let status;
  try {
    prepareContainerRoot(store, image, dir);
    const { hostsFile } = applyNetworkToSpec(spec, network, dir);
    recorder?.dependsOn("/etc/resolv.conf");
    const net = await prepareNetwork(network, f, { id, name: f.name, hostname: spec.hostname!, hostsFile }, undo);
    recorder?.snapshot(dir);
    const parent = await cgroupParentFor({ flag: g.cgroupManager, unit: `zoo-${id.slice(0, 12)}.scope`, description: `zoo container ${id.slice(0, 12)}` });
    if (parent !== undefined && !recorder?.scope) recorder?.refuse("a cgroup parent not from a scope zoo joined");
    // Docker's: deny-all plus the default devices; --privileged gets them all.
    const devices = f.privileged ? undefined : containerRules([], spec.linux?.devices ?? []);
    if (recorder) recorder.devices = devices;
    const cgroups = containerCgroups(spec.linux?.resources ?? {}, {
      parent,
      name: `zoo-${id.slice(0, 12)}`,
      flagHints: { memory: "-m", cpu: "--cpus", pids: "--pids-limit" },
      devices,
      fs: recorder?.fs,
    });
    const result = await runForeground(
      spec,
      {
        cgroups,
        seccomp: security.seccomp,
        rootOverlay: { lower, upper, work, userxattr: rootless },
        onChild: (pid, cl) => {
          if (recorder) recorder.cgroup = cgroups.state();
          return net.onChild(pid, cl);
        },
      },
      recorder,
    );
    if (result.oomKilled) writeErr(OOM_MESSAGE);
    status = result.status;
  } finally {
    recorder?.stop();
    const failures = await undo.run();
    await removeTree(dir, maps);
    for (const f of failures) writeErr(`zoo: cleanup: ${f}\n`);
    if (failures.length > 0) recorder?.refuse("a cleanup failed");
  }
  // Everything went as the entry will say: the front door may do it next time.
  if (cache && recorder && status) cache.finishEngineRun(recorder, { id, dir, lower, oomMessage: OOM_MESSAGE });
  if (status.signal !== null) dieBySignal(status.signal);
  return status.code ?? 0;
}

export function buildSpec(
  f: RunFlags,
  img: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string },
  id: string,
  rootless: boolean,
  sec: Security,
): Spec {
  const args = [...(img.Entrypoint ?? []), ...(f.command.length ? f.command : (img.Cmd ?? []))];
  if (args.length === 0) throw new UsageError(`run: no command given and image ${f.image} has none`);
  const hostname = f.hostname ?? id.slice(0, 12);
  const env = new Map<string, string>();
  for (const e of [DEFAULT_PATH, `HOSTNAME=${hostname}`, "HOME=/root", ...(img.Env ?? []), ...f.env]) {
    const i = e.indexOf("=");
    if (i <= 0) throw new UsageError(`run: -e "${e}" must be KEY=VALUE`);
    env.set(e.slice(0, i), e.slice(i + 1));
  }
  // The network namespace is applyNetworkToSpec's choice.
  const namespaces = ["pid", "ipc", "uts", "mount", "cgroup"].map((type) => ({ type }) as never);
  const linux: NonNullable<Spec["linux"]> = { namespaces, resources: {}, maskedPaths: sec.maskedPaths, readonlyPaths: sec.readonlyPaths };
  if (rootless) {
    const maps = callerMappings();
    linux.namespaces!.push({ type: "user" });
    linux.uidMappings = maps.uid;
    linux.gidMappings = maps.gid;
  }
  if (f.memory) linux.resources!.memory = { limit: f.memory, swap: f.memory * 2 };
  if (f.cpus) linux.resources!.cpu = { quota: cpuPercentToQuota(f.cpus * 100, 100_000), period: 100_000 };
  if (f.pidsLimit) linux.resources!.pids = { limit: f.pidsLimit };
  return {
    ociVersion: "1.2.0",
    root: { path: "/" },
    hostname,
    mounts: defaultMounts(sec.sysRw, !rootless),
    process: {
      args,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: f.workdir ?? img.WorkingDir ?? "/",
      user: { uid: 0, gid: 0 },
      capabilities: { bounding: sec.caps, effective: sec.caps, permitted: sec.caps, inheritable: [], ambient: [] },
      noNewPrivileges: sec.noNewPrivileges,
    },
    linux,
  };
}
