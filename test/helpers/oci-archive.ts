// An OCI image layout archive (oci-layout, index.json, blobs/sha256/*) made
// from a root filesystem directory, for tools that import images from a tar
// (`ctr image import`). One uncompressed layer, linux/amd64.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const sha256 = (b: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

function tarOrThrow(args: string[]) {
  const r = Bun.spawnSync(["tar", ...args]);
  if (r.exitCode !== 0) throw new Error(`tar ${args.join(" ")}: ${r.stderr}`);
}

/** Writes `out` (a tar) holding `rootfs` as image `name` (e.g. docker.io/zoo/busybox:test). */
export function ociArchive(rootfs: string, name: string, out: string, cmd: string[] = ["sh"]): void {
  const work = mkdtempSync(`${out}.work-`);
  try {
    const blobs = join(work, "layout/blobs/sha256");
    mkdirSync(blobs, { recursive: true });
    const blob = (data: Uint8Array | string) => {
      const digest = sha256(data);
      writeFileSync(join(blobs, digest), data);
      return { digest: `sha256:${digest}`, size: typeof data === "string" ? Buffer.byteLength(data) : data.byteLength };
    };
    const layerTar = join(work, "layer.tar");
    tarOrThrow(["-C", rootfs, "--numeric-owner", "-cf", layerTar, "."]);
    const layerBytes = readFileSync(layerTar);
    const layer = blob(layerBytes);
    const config = blob(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: cmd, WorkingDir: "/" },
        rootfs: { type: "layers", diff_ids: [layer.digest] },
      }),
    );
    const manifest = blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      }),
    );
    writeFileSync(join(work, "layout/oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(work, "layout/index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            ...manifest,
            platform: { architecture: "amd64", os: "linux" },
            // containerd names the image from this one; other tools read the OCI tag.
            annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.split(":").pop()! },
          },
        ],
      }),
    );
    tarOrThrow(["-C", join(work, "layout"), "-cf", `${out}.tmp`, "oci-layout", "index.json", "blobs"]);
    renameSync(`${out}.tmp`, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
