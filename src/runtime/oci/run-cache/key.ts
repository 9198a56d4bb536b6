// The run cache's key: everything a cached `run` depends on that the front
// door can compute itself before deciding anything (docs/design/run-cache.md,
// "Key"), and the entry's file name, the key's 64-bit FNV-1a.
import { statSync } from "node:fs";
import { join } from "node:path";
import { REPLAY_KEY_TAG, REPLAY_RUNTIME_ENV } from "../../../plan/replay-ids.ts";

/** The variables TypeScript consults on a `run`, in the key's order. */
export const KEY_ENV = REPLAY_RUNTIME_ENV;

/** Entries live under here (tmpfs: a reboot empties it); only real root has a cache. */
export const RUN_CACHE_DIR = "/run/zoo/cache/run";

export interface KeyInput {
  /** "zoo" for a `zoo run` (its key says so after the tag); absent for zoo-runtime. */
  door?: string;
  /** The variables in the key; default KEY_ENV (zoo-runtime's). */
  envNames?: readonly string[];
  /** dev:ino:size:mtimeNs of the Bun executable. */
  exe: string;
  euid: number;
  /** `zoo run` only: the modes it records went through it. */
  umask?: number;
  cwd: string;
  env: Record<string, string | undefined>;
  idLength: number;
  /** The arguments after the program name: for zoo-runtime without the last (the container ID). */
  args: string[];
}

const utf8 = new TextEncoder();

export function keyBytes(k: KeyInput): Uint8Array {
  const fields = [REPLAY_KEY_TAG, ...(k.door === undefined ? [] : [`door=${k.door}`]), `exe=${k.exe}`, `uid=${k.euid}`, ...(k.umask === undefined ? [] : [`umask=${k.umask.toString(8).padStart(4, "0")}`]), `cwd=${k.cwd}`];
  for (const name of k.envNames ?? KEY_ENV) {
    const v = k.env[name];
    fields.push(v === undefined ? `env=${name}` : `env=${name}=${v}`);
  }
  fields.push(`idlen=${k.idLength}`, ...k.args.map((a) => `arg=${a}`));
  if (fields.some((f) => f.includes("\0"))) throw new Error("a key field contains a NUL byte");
  return utf8.encode(fields.map((f) => f + "\0").join(""));
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

/** 64-bit FNV-1a, as 16 lowercase hex digits. */
export function fnv1a64(bytes: Uint8Array): string {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK;
  return h.toString(16).padStart(16, "0");
}

export function entryFile(key: Uint8Array, dir = RUN_CACHE_DIR): string {
  return join(dir, fnv1a64(key));
}

/** dev:ino:size:mtimeNs of `path` (a rebuild changes it), or null when it cannot be read. */
export function exeIdentity(path = process.execPath): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return null;
  }
}

/**
 * The key of this process's `run` of `id`, from its argv after the program
 * name; null when the last argument is not the ID (the front door keys on
 * everything but the last argument, so the ID has to be it).
 */
export function keyForRun(argv: string[], id: string, env: Record<string, string | undefined> = process.env): Uint8Array | null {
  if (argv.length === 0 || argv.at(-1) !== id) return null;
  const exe = exeIdentity();
  if (exe === null) return null;
  return keyBytes({ exe, euid: process.geteuid!(), cwd: process.cwd(), env, idLength: id.length, args: argv.slice(0, -1) });
}
