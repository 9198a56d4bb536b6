// The image bench/images.sh pulls: busybox plus LAYERS layers of files that
// do not compress (one large, many small per layer), written as an OCI
// layout with the tag "bench" through the image tests' fixtures. The bytes
// come from a counter hashed with SHA-256, so every run builds the same image
// (the same digests). Prints the layers' diff ids, bottom first.
//   bun bench/lib/image.ts DIR [LAYERS=4] [LARGE_KB=1024] [SMALL=64]
import { createHash } from "node:crypto";
import { busyboxLayer, dir, image, layer, writeLayout } from "../../test/integration/image/oci-fixtures.ts";
import type { TarEntry } from "../../src/image/tar.ts";

const [out, layers = "4", largeKb = "1024", small = "64"] = process.argv.slice(2);
if (!out) {
  console.error("usage: bun bench/lib/image.ts DIR [LAYERS] [LARGE_KB] [SMALL]");
  process.exit(2);
}

function bytes(seed: string, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let off = 0, i = 0; off < n; i++, off += 32) b.set(createHash("sha256").update(`${seed}/${i}`).digest().subarray(0, Math.min(32, n - off)), off);
  return b;
}

const file = (path: string, data: Uint8Array): TarEntry => ({ path, type: "file", mode: 0o644, uid: 0, gid: 0, data });
const all = [busyboxLayer("gzip")];
for (let l = 0; l < Number(layers); l++) {
  const entries: TarEntry[] = [dir(`data${l}`), file(`data${l}/large`, bytes(`large${l}`, Number(largeKb) * 1024))];
  for (let f = 0; f < Number(small); f++) entries.push(file(`data${l}/small${f}`, bytes(`small${l}/${f}`, 512 + ((f * 997) % 7680))));
  all.push(layer(entries, "gzip"));
}
writeLayout(out, [{ tag: "bench", image: image({ layers: all, config: { Cmd: ["sh"], Env: ["PATH=/bin"] } }) }]);
for (const l of all) console.log(l.diffId);
