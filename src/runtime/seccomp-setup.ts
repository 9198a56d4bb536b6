import { compileSeccompCached, defaultSeccompCache } from "../seccomp/cache.ts";
import { zookeeperSeccompProfile } from "../seccomp/profiles/zookeeper.ts";

/** The seed's deny-list filter, compiled for this host. */
export async function zookeeperSeccomp(): Promise<{ program: Uint8Array; flags: number }> {
  const c = await compileSeccompCached(zookeeperSeccompProfile(), defaultSeccompCache());
  return { program: c.bytes, flags: c.flags };
}
