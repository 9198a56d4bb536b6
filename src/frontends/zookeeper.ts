// The `zookeeper` front door: seed flags → OCI config → the shared runtime.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { parseZookeeperArgs, USAGE, type ZookeeperOptions } from "../cli/zookeeper.ts";
import { parsePublish, pickHelper, resolvConf, setupNetwork, type Helper, type PortMapping } from "../net/index.ts";
import type { Spec } from "../oci/spec.ts";
import { callerMappings, ROOTFUL_MAPPINGS } from "../runtime/idmap.ts";
import { runForeground } from "../runtime/run.ts";
import { dieBySignal } from "../sys/libc.ts";
import { UsageError } from "../util/errors.ts";
import { zookeeperSpec } from "./zookeeper-spec.ts";
import { containerCgroups } from "../runtime/cgroup-setup.ts";
import { cgroupParentFor } from "../cgroups/systemd/index.ts";
import { zookeeperSeccomp } from "../runtime/seccomp-setup.ts";
import { formatBytes } from "../util/format.ts";
import { containerRules } from "../runtime/device-cgroup/rules.ts";
import { writeOut, writeErr } from "../util/stdio.ts";

export async function zookeeperMain(argv: string[]): Promise<number> {
  const o = parseZookeeperArgs(argv, availableParallelism());
  if (o.help) {
    writeOut(USAGE);
    return 0;
  }
  if (o.root !== undefined) checkRootDir(o.root);
  // Chosen before anything exists, so a missing helper or a bad ZOO_PUBLISH leaves nothing behind.
  const publish = parsePublish(process.env.ZOO_PUBLISH);
  if (publish.length && !o.network) throw new UsageError("ZOO_PUBLISH needs -n: without it the container has no network to publish from");
  const helper = o.network ? pickHelper() : undefined;

  const maps = process.geteuid!() === 0 ? { uid: ROOTFUL_MAPPINGS, gid: ROOTFUL_MAPPINGS } : callerMappings();
  const uidMappings = maps.uid;
  const gidMappings = maps.gid;
  // A rootfs without /etc gets no resolv.conf: creating /etc would change the user's tree.
  const resolvDir = helper && o.root && isDir(join(o.root, "etc")) ? mkdtempSync("/tmp/zoo.resolv-") : null;
  let status;
  try {
    let resolvFile: string | undefined;
    if (resolvDir && helper) {
      resolvFile = join(resolvDir, "resolv.conf");
      writeFileSync(resolvFile, resolvConf(helper), { mode: 0o644 });
    }
    const spec = zookeeperSpec(o, { cwd: process.cwd(), env: process.env, uidMappings, gidMappings, resolvConf: resolvFile });
    status = await runSpec(o, spec, helper, publish, resolvDir ? [resolvDir] : []);
  } finally {
    if (resolvDir) rmSync(resolvDir, { recursive: true, force: true });
  }
  if (status.signal !== null) dieBySignal(status.signal);
  return status.code ?? 0;
}

async function runSpec(o: ZookeeperOptions, spec: Spec, helper: Helper | undefined, publish: PortMapping[], scratchDirs: string[]) {
  // On a systemd host the seed's systemd_move_to_scope(): a delegated scope holding us.
  const parent = await cgroupParentFor({ flag: o.cgroupManager, unit: `zookeeper-${process.pid}.scope`, description: "zookeeper container" });
  const cgroups = containerCgroups(spec.linux?.resources ?? {}, {
    parent,
    nameForPid: (pid) => `zoo-${pid}`,
    flagHints: { memory: "-m", cpu: "-c", pids: "-p" },
    devices: containerRules([], spec.linux?.devices ?? []),
  });
  // The README's seccomp experiment compares with and without the filter,
  // as Docker's --security-opt seccomp=unconfined does.
  const seccomp = seccompSetting(process.env.ZOOKEEPER_SECCOMP);
  const result = await runForeground(spec, {
    cgroups,
    seccomp: seccomp === "unconfined" ? null : await zookeeperSeccomp(),
    onChild: (pid, cleanup) => setupNetwork(helper ? "user" : "none", pid, cleanup, { helper, publish }),
    scratchDirs,
  });

  if (result.oomKilled) {
    writeErr(`zookeeper: the container ran out of memory (limit ${formatBytes(o.memory ?? 0)}) and was killed\n`);
  }
  return result.status;
}

function seccompSetting(v: string | undefined): "default" | "unconfined" {
  if (v === undefined || v === "" || v === "default") return "default";
  if (v === "unconfined") return "unconfined";
  throw new UsageError(`ZOOKEEPER_SECCOMP="${v}": use "default" or "unconfined"`);
}

const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

function checkRootDir(dir: string) {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`-r ${dir}: ${code === "ENOENT" ? "no such directory" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new UsageError(`-r ${dir}: not a directory`);
}
