// The `zookeeper` front door: seed flags → OCI config → the shared runtime.
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseZookeeperArgs, USAGE } from "../cli/zookeeper.ts";
import { readSubids, rootlessMappings, ROOTFUL_MAPPINGS, userName } from "../runtime/idmap.ts";
import { runForeground } from "../runtime/run.ts";
import { dieBySignal } from "../sys/libc.ts";
import { UsageError } from "../util/errors.ts";
import { zookeeperSpec } from "./zookeeper-spec.ts";
import { containerCgroups } from "../runtime/cgroup-setup.ts";
import { zookeeperSeccomp } from "../runtime/seccomp-setup.ts";
import { formatBytes } from "../util/format.ts";

export async function zookeeperMain(argv: string[]): Promise<number> {
  const o = parseZookeeperArgs(argv, availableParallelism());
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (o.network) {
    throw new UsageError("-n: container networking is not supported yet in this build; run without -n");
  }
  if (o.root !== undefined) checkRootDir(o.root);

  const uid = process.geteuid!();
  const gid = process.getegid!();
  let uidMappings = ROOTFUL_MAPPINGS;
  let gidMappings = ROOTFUL_MAPPINGS;
  if (uid !== 0) {
    const user = userName(uid);
    uidMappings = rootlessMappings(uid, readSubids("/etc/subuid", user, uid));
    gidMappings = rootlessMappings(gid, readSubids("/etc/subgid", user, uid));
  }
  const spec = zookeeperSpec(o, { cwd: process.cwd(), env: process.env, uidMappings, gidMappings });
  const cgroups = containerCgroups(spec.linux?.resources ?? {}, {
    nameForPid: (pid) => `zoo-${pid}`,
    flagHints: { memory: "-m", cpu: "-c", pids: "-p" },
  });
  // The README's seccomp experiment compares with and without the filter,
  // as Docker's --security-opt seccomp=unconfined does.
  const seccomp = seccompSetting(process.env.ZOOKEEPER_SECCOMP);
  const result = await runForeground(spec, { cgroups, seccomp: seccomp === "unconfined" ? null : zookeeperSeccomp() });

  if (result.oomKilled) {
    process.stderr.write(`zookeeper: the container ran out of memory (limit ${formatBytes(o.memory ?? 0)}) and was killed\n`);
  }
  if (result.status.signal !== null) dieBySignal(result.status.signal);
  return result.status.code ?? 0;
}

function seccompSetting(v: string | undefined): "default" | "unconfined" {
  if (v === undefined || v === "" || v === "default") return "default";
  if (v === "unconfined") return "unconfined";
  throw new UsageError(`ZOOKEEPER_SECCOMP="${v}": use "default" or "unconfined"`);
}

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
