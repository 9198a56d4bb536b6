// Removing a rootless container's files: they may belong to subordinate ids
// or sit in overlayfs' mode-000 work dir, so when a plain removal is refused
// it is done again from inside a user namespace with the container's maps,
// where the caller is root over every id it owns.
import { rmSync } from "node:fs";
import type { IdMapping } from "../oci/spec.ts";
import { runForeground } from "../runtime/run.ts";
import { ZooError } from "../util/errors.ts";

export async function removeTree(dir: string, maps: { uid: IdMapping[]; gid: IdMapping[] } | null): Promise<void> {
  try {
    rmSync(dir, { recursive: true, force: true });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!maps || (code !== "EACCES" && code !== "EPERM")) throw e;
  }
  const r = await runForeground({
    ociVersion: "1.2.0",
    process: { args: ["rm", "-rf", "--", dir], env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], cwd: "/", user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: "user" }, { type: "mount" }], uidMappings: maps.uid, gidMappings: maps.gid },
  });
  if (r.status.code !== 0) throw new ZooError(`cannot remove ${dir}: rm in the user namespace failed (status ${r.status.code ?? r.status.signal})`);
}
