// The VM image: a Debian bookworm disk built once with mmdebstrap and cached
// under the sha256 of its recipe, so only a recipe change pays for a rebuild.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const GUEST = join(import.meta.dir, "guest");
// Files installed into the image; all of them (and packages.txt) are the recipe.
const INSTALLED: Record<string, string> = {
  "zoo-vm-boot": "/usr/local/sbin/zoo-vm-boot",
  "zoo-vm-user": "/usr/local/sbin/zoo-vm-user",
  "zoo-vm.service": "/etc/systemd/system/zoo-vm.service",
};
// Bump when this file changes how an image is put together.
const BUILD_VERSION = "1";
// Virtual size: room for what tests write; the per-run overlay only stores what changes.
const DISK_SIZE = "6G";

export interface Image {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
}

export function cacheDir(): string {
  return process.env.ZOO_VM_CACHE || "/var/cache/zoo-vm";
}

function packages(r: Map<string, Buffer>): string[] {
  return r.get("packages.txt")!.toString("utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/** The recipe, read once: what gets hashed is exactly what gets built, even if a file is edited mid-build. */
function recipe(): Map<string, Buffer> {
  return new Map(["packages.txt", "setup.sh", ...Object.keys(INSTALLED)].sort().map((f) => [f, readFileSync(join(GUEST, f))]));
}

export function recipeHash(r = recipe()): string {
  const h = createHash("sha256").update(`v${BUILD_VERSION}\0${DISK_SIZE}\0`);
  for (const [f, data] of r) h.update(`${f}\0`).update(data).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** The host's Debian sources, so the image comes from whatever mirror this machine is set up for. */
function hostSources(): string[] {
  const files = ["/etc/apt/sources.list"];
  const d = "/etc/apt/sources.list.d";
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(d, f));
  return files.filter((f) => existsSync(f) && statSync(f).size > 0 && /debian/.test(readFileSync(f, "utf8")));
}

function sh(cmd: string[], what: string) {
  const r = Bun.spawnSync(cmd, { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`vm image: ${what} failed (exit ${r.exitCode}): ${cmd.join(" ")}`);
}

function imageAt(dir: string): Image {
  return { dir, disk: join(dir, "base.img"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img") };
}

/** rm -rf that first detaches anything mounted below (a killed mmdebstrap leaves /proc, /sys, /dev/pts there). */
export function removeTree(dir: string) {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m]);
  rmSync(dir, { recursive: true, force: true });
}

/** Removes half-built images whose builder is gone (a killed build leaves its temp dir). */
function sweep(cache: string) {
  for (const e of readdirSync(cache)) {
    const m = /^\.build-.*-(\d+)$/.exec(e);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      removeTree(join(cache, e));
    }
  }
}

export function ensureImage(log: (s: string) => void): Image {
  const cache = cacheDir();
  const r = recipe();
  const hash = recipeHash(r);
  const final = join(cache, hash);
  // Only a completed build is ever renamed to this name, so existing means valid.
  if (existsSync(join(final, "base.img"))) return imageAt(final);

  mkdirSync(cache, { recursive: true });
  sweep(cache);
  const tmp = join(cache, `.build-${hash}-${process.pid}`);
  removeTree(tmp);
  const root = join(tmp, "rootfs");
  mkdirSync(tmp, { recursive: true });
  const t0 = performance.now();
  log(`vm: building image ${hash} in ${tmp}`);
  try {
    const sources = hostSources();
    if (sources.length === 0) throw new Error("vm image: no Debian apt sources on this host");
    sh(
      ["mmdebstrap", "--variant=minbase", "--format=directory", `--include=${packages(r).join(",")}`, "bookworm", root, ...sources],
      "mmdebstrap",
    );
    for (const [src, dst] of Object.entries(INSTALLED)) {
      mkdirSync(join(root, dst, ".."), { recursive: true });
      writeFileSync(join(root, dst), r.get(src)!, { mode: dst.endsWith(".service") ? 0o644 : 0o755 });
    }
    writeFileSync(join(root, "tmp/zoo-setup.sh"), r.get("setup.sh")!);
    sh(["chroot", root, "/bin/sh", "/tmp/zoo-setup.sh"], "setup.sh");
    rmSync(join(root, "tmp/zoo-setup.sh"));
    const boot = readdirSync(join(root, "boot"));
    const kernel = boot.find((f) => f.startsWith("vmlinuz-"));
    const initrd = boot.find((f) => f.startsWith("initrd.img-"));
    if (!kernel || !initrd) throw new Error(`vm image: no kernel/initrd in /boot (${boot.join(" ")})`);
    copyFileSync(join(root, "boot", kernel), join(tmp, "vmlinuz"));
    copyFileSync(join(root, "boot", initrd), join(tmp, "initrd.img"));
    sh(["mkfs.ext4", "-q", "-F", "-L", "zoo-vm", "-d", root, join(tmp, "base.img"), DISK_SIZE], "mkfs.ext4");
    removeTree(root);
    try {
      renameSync(tmp, final);
    } catch (e) {
      // A concurrent build of the same recipe won the rename: use its image.
      if (!existsSync(join(final, "base.img"))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    removeTree(tmp);
    throw e;
  }
  log(`vm: image ${hash} built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return imageAt(final);
}

if (import.meta.main) {
  const img = ensureImage((s) => console.error(s));
  console.log(img.dir);
}
