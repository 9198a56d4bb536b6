import { compileSeccomp, zookeeperSeccompProfile } from "../seccomp/index.ts";

/** The seed's deny-list filter, compiled for this host. */
export function zookeeperSeccomp(): { program: Uint8Array; flags: number } {
  const c = compileSeccomp(zookeeperSeccompProfile());
  return { program: c.bytes, flags: c.flags };
}
