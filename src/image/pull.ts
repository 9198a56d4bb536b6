// `zoo pull`: reference → manifest (an index resolved for the platform) →
// config → layers, downloaded in parallel into the store (blobs already there
// are skipped, interrupted downloads resumed), each unpacked once by diff ID.
import { ZooError } from "../util/errors.ts";
import { checkConfig, checkManifest, installImage, isIndex } from "./install.ts";
import { ensureLayer, layerLabel } from "./layers.ts";
import { Progress } from "./progress.ts";
import { familiarName, parseRef, storeKey } from "./ref.ts";
import { Registry } from "./registry.ts";
import { hex, type Descriptor, type ImageConfig, type Manifest, type Store } from "./store.ts";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function hostPlatform(): Platform {
  const arch = ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: "linux", architecture: arch, ...(arch === "arm64" ? { variant: "v8" } : {}) };
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, ...rest] = s.split("/");
  if (!os || !architecture || rest.length) throw new ZooError(`--platform "${s}": use OS/ARCH[/VARIANT], e.g. linux/arm64`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

const fmt = (p: { os: string; architecture: string; variant?: string }) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;

/** The index entry for a platform; arm64 without a variant also matches v8. */
export function choosePlatform(manifests: Descriptor[], want: Platform): Descriptor {
  const ok = manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const exact = ok.find((m) => (m.platform!.variant ?? "") === (want.variant ?? ""));
  const loose = ok.find((m) => !want.variant || !m.platform!.variant || (want.architecture === "arm64" && (m.platform!.variant ?? "v8") === want.variant));
  const hit = exact ?? loose;
  if (!hit) {
    const have = manifests.filter((m) => m.platform && m.platform.os !== "unknown").map((m) => fmt(m.platform!));
    throw new ZooError(`no image for ${fmt(want)} in the index (it has ${have.join(", ") || "none"}): pick one with --platform`);
  }
  return hit;
}

export interface PullOptions {
  platform?: Platform;
  insecure?: boolean;
  /** Where progress goes (stdout for zoo pull, stderr for zoo run). */
  out: { write(s: string): unknown; isTTY?: boolean };
  quiet?: boolean;
}

const PARALLEL = 3;
const MAX_CONFIG = 8 << 20;

/** Pulls `name` into the store; returns the store key and manifest digest. */
export async function pull(store: Store, name: string, o: PullOptions): Promise<{ key: string; digest: string }> {
  return store.adding(() => pullLeased(store, name, o));
}

async function pullLeased(store: Store, name: string, o: PullOptions): Promise<{ key: string; digest: string }> {
  const ref = parseRef(name);
  const reg = new Registry(ref.registry, { insecure: o.insecure });
  const key = storeKey(ref);
  const progress = new Progress(o.quiet ? { write: () => true } : o.out);
  const reference = ref.digest ?? ref.tag!;
  let m = await reg.manifest(ref.repo, reference);
  const fromIndex = isIndex(m.mediaType);
  // Only once the registry has answered: a pull that cannot start says one line.
  progress.line(`${ref.digest ? ref.digest.slice(7, 19) : ref.tag}: Pulling from ${ref.registry === "docker.io" ? ref.repo : `${ref.registry}/${ref.repo}`}`);
  const topDigest = m.digest;
  if (isIndex(m.mediaType)) {
    const index = JSON.parse(new TextDecoder().decode(m.bytes)) as { manifests?: Descriptor[] };
    if (!Array.isArray(index.manifests)) throw new ZooError(`the index of ${name} has no manifests`);
    const d = choosePlatform(index.manifests, o.platform ?? hostPlatform());
    m = await reg.manifest(ref.repo, d.digest);
    if (isIndex(m.mediaType)) throw new ZooError(`the index of ${name} points to another index: nested indexes are not supported`);
  }
  const manifest = JSON.parse(new TextDecoder().decode(m.bytes)) as Manifest;
  checkManifest(manifest, `manifest of ${name}`);

  if (!store.hasBlob(manifest.config.digest)) {
    store.putBlob(await reg.blobBytes(ref.repo, manifest.config.digest, MAX_CONFIG), manifest.config.digest);
  }
  const config = store.readJson<ImageConfig>(manifest.config.digest);
  checkConfig(config, manifest, `image ${name}`);
  // A single-platform image asked for with --platform must be that platform.
  const want = o.platform;
  if (want && !fromIndex && (config.os !== want.os || config.architecture !== want.architecture)) {
    throw new ZooError(`${name} is for ${config.os}/${config.architecture}, not ${fmt(want)}`);
  }

  const before = store.readIndex()[key];
  const jobs = manifest.layers.map((l, i) => async () => {
    const id = layerLabel(l.digest);
    const diffId = config.rootfs.diff_ids[i]!;
    if (store.hasLayer(diffId)) return progress.status(id, "Already exists");
    if (!store.hasBlob(l.digest)) {
      progress.status(id, "Pulling fs layer");
      const partial = store.scratch(`partial-${hex(l.digest)}`);
      await reg.blobToFile(ref.repo, l.digest, l.size, partial, (n) => progress.bytes(id, "Downloading", n, l.size));
      await store.adoptBlob(partial, l.digest);
      progress.status(id, "Download complete");
    }
    progress.status(id, "Extracting");
    await ensureLayer(store, diffId, l.digest, id);
    progress.status(id, "Pull complete");
  });
  await runLimited(jobs, PARALLEL);

  const digest = await installImage(store, m.bytes, [key]);
  progress.line(`Digest: ${topDigest}`);
  const shown = ref.digest ? `${familiarName(ref)}@${ref.digest}` : `${familiarName(ref)}:${ref.tag}`;
  progress.line(before === digest ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`);
  return { key, digest };
}

/** Runs the jobs with at most `n` at a time; the first failure fails the whole. */
async function runLimited(jobs: (() => Promise<unknown>)[], n: number): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < jobs.length && !failed) {
      const j = jobs[next++]!;
      try {
        await j();
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  if (failed) throw failed;
}
