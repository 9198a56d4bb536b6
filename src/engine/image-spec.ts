// IMAGE + run flags → the container's OCI config and its overlay lower dirs:
// one function for every path that builds a container from an image
// (foreground `zoo run`, and create/start/exec of kept containers).
import type { RunFlags } from "../cli/zoo/run.ts";
import type { Spec } from "../oci/spec.ts";
import { imageForRun } from "../image/resolve.ts";
import { applyImageRunFlags, effectiveConfig } from "../image/run-config.ts";
import type { ImageRecord, Store } from "../image/store.ts";
import { lowerDirs } from "../image/rootfs.ts";
import { buildSpec } from "./run.ts";
import type { Security } from "./security.ts";

export interface ImageSpec {
  image: ImageRecord;
  spec: Spec;
  /** The image's layer dirs, top layer first, as overlayfs takes them. */
  lower: string[];
}

export async function specFromImage(store: Store, f: RunFlags, id: string, rootless: boolean, security: Security): Promise<ImageSpec> {
  const image = await imageForRun(store, f.image);
  const spec = buildSpec(f, effectiveConfig(image.config.config, f), id, rootless, security);
  const lower = lowerDirs(store, image);
  applyImageRunFlags(spec, f, image.config.config?.User, lower);
  return { image, spec, lower };
}
