import type { NamespaceType } from "../oci/spec.ts";
import { CLONE } from "../sys/constants.ts";

export const NS_FLAG: Record<NamespaceType, bigint> = {
  user: CLONE.NEWUSER,
  mount: CLONE.NEWNS,
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  cgroup: CLONE.NEWCGROUP,
  time: CLONE.NEWTIME,
};

// setns order matters: the user namespace first so the others are joined with
// its privileges, mount last because joining it changes how later paths resolve.
export const SETNS_ORDER: NamespaceType[] = ["user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"];
