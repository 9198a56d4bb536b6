// Compiled filters kept on disk, so that starting a container does not
// compile the same profile again (milliseconds of cold JavaScript per start).
// compileSeccomp is pure, so the key is a SHA-256 of everything it reads:
// the profile, the target arch, the options and the build of zoo doing the
// compiling. The cache only ever speeds things up: any problem with it (no
// directory, a file someone else could have written, a short read) means
// compiling as if it were not there.
import { closeSync, fstatSync, openSync, readSync, constants as fsc, statSync } from "node:fs";
import { join } from "node:path";
import { ownDir, pruneCache, writeWhole } from "../util/cache-dir.ts";
import type { CompileOptions } from "./compile.ts";
import type { LinuxSeccomp } from "./types.ts";

/** What the runtime needs of a compiled filter. */
export interface SeccompFilter {
  bytes: Uint8Array;
  flags: number;
  needsListener: boolean;
}

export interface SeccompCache {
  /** A directory owned by the caller, mode 0700 (made if missing). */
  dir: string;
  /** Identifies the compiler: a filter compiled by another build is never used. */
  build: string;
}

const MAGIC = 0x4643535a; // "ZSCF"
const HEADER = 16;
// 4096 instructions of 8 bytes: the kernel's BPF_MAXINSNS.
const MAX_BYTES = 4096 * 8;

/**
 * The cache for this process: under /run/zoo for real root, else under
 * $XDG_RUNTIME_DIR/zoo; none when run from source (the build cannot be
 * identified) or when ZOO_SECCOMP_CACHE=off.
 */
export function defaultSeccompCache(env: Record<string, string | undefined> = process.env): SeccompCache | null {
  if (env.ZOO_SECCOMP_CACHE === "off") return null;
  const build = buildIdentity();
  if (build === null) return null;
  const base = process.geteuid!() === 0 ? "/run/zoo" : env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "zoo") : null;
  return base === null ? null : { dir: join(base, "cache", "seccomp"), build };
}

/** The compiled executable's identity (a rebuild changes it); null when running from source. */
function buildIdentity(): string | null {
  if (!Bun.main.startsWith("/$bunfs/")) return null;
  try {
    const st = statSync(process.execPath, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return null;
  }
}

export function cacheKey(profile: LinuxSeccomp, build: string, options: CompileOptions = {}): string {
  const h = new Bun.CryptoHasher("sha256");
  // process.arch, not arch.ts's hostArch: that module loads both syscall tables.
  h.update(JSON.stringify([build, options.arch ?? process.arch, options.newerSyscalls ?? "enosys", profile]));
  return h.digest("hex");
}

/**
 * compileSeccomp, through the cache when there is one. Profile errors are
 * thrown as by compileSeccomp. The compiler (and its syscall tables) is only
 * loaded on a miss.
 */
export async function compileSeccompCached(profile: LinuxSeccomp, cache: SeccompCache | null, options: CompileOptions = {}): Promise<SeccompFilter> {
  const hit = lookup(profile, cache, options);
  if (hit.filter) return hit.filter;
  return remember(hit.file, cache, (await import("./compile.ts")).compileSeccomp(profile, options));
}

/** The same, for a caller that has the compiler loaded already (the engine). */
export function compileSeccompCachedWith(compile: (p: LinuxSeccomp, o: CompileOptions) => SeccompFilter, profile: LinuxSeccomp, cache: SeccompCache | null, options: CompileOptions = {}): SeccompFilter {
  const hit = lookup(profile, cache, options);
  return hit.filter ?? remember(hit.file, cache, compile(profile, options));
}

function lookup(profile: LinuxSeccomp, cache: SeccompCache | null, options: CompileOptions): { file: string | null; filter: SeccompFilter | null } {
  // Checked every time: a file is only as trustworthy as the directory it sits in.
  if (cache === null || !ownDir(cache.dir)) return { file: null, filter: null };
  const file = join(cache.dir, cacheKey(profile, cache.build, options));
  return { file, filter: readFilter(file) };
}

function remember(file: string | null, cache: SeccompCache | null, c: SeccompFilter): SeccompFilter {
  const filter = { bytes: c.bytes, flags: c.flags, needsListener: c.needsListener };
  if (file === null || cache === null) return filter;
  writeFilter(file, filter);
  pruneCache(cache.dir);
  return filter;
}

const euid = () => process.geteuid!();

/** The filter in `file`, or null unless it is a whole, well-formed file that only we could have written. */
export function readFilter(file: string): SeccompFilter | null {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== euid() || (st.mode & 0o777) !== 0o600) return null;
    if (st.size < HEADER || st.size > HEADER + MAX_BYTES) return null;
    const buf = new Uint8Array(st.size);
    if (readSync(fd, buf, 0, buf.length, 0) !== buf.length) return null;
    const dv = new DataView(buf.buffer);
    const [magic, flags, listener, len] = [0, 4, 8, 12].map((o) => dv.getUint32(o, true)) as [number, number, number, number];
    if (magic !== MAGIC || listener > 1 || len === 0 || len % 8 !== 0 || HEADER + len !== buf.length) return null;
    return { bytes: buf.subarray(HEADER), flags, needsListener: listener === 1 };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Best effort: written whole to a temporary name and renamed, so readers never see half a file. */
export function writeFilter(file: string, f: SeccompFilter): void {
  const out = new Uint8Array(HEADER + f.bytes.length);
  const dv = new DataView(out.buffer);
  [MAGIC, f.flags, f.needsListener ? 1 : 0, f.bytes.length].forEach((v, i) => dv.setUint32(i * 4, v, true));
  out.set(f.bytes, HEADER);
  writeWhole(file, out);
}
