import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheKey, compileSeccompCached, defaultSeccompCache, readFilter, writeFilter, type SeccompCache } from "../../../src/seccomp/cache.ts";
import { pruneCache } from "../../../src/util/cache-dir.ts";
import { compileSeccomp } from "../../../src/seccomp/compile.ts";
import { zookeeperSeccompProfile } from "../../../src/seccomp/profiles/zookeeper.ts";
import type { LinuxSeccomp } from "../../../src/seccomp/types.ts";

const profile = zookeeperSeccompProfile();
const other: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["reboot"], action: "SCMP_ACT_ERRNO" }] };
const fresh = compileSeccomp(profile);
const asRoot = process.geteuid!() === 0;

let base: string;
let cache: SeccompCache;
beforeEach(() => {
  base = mkdtempSync("/tmp/zoo-seccomp-cache-");
  cache = { dir: join(base, "seccomp"), build: "test-build" };
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const keyFile = (p: LinuxSeccomp, build = cache.build) => join(cache.dir, cacheKey(p, build));

describe("seccomp filter cache", () => {
  test("a miss compiles and stores the filter (0600, in a 0700 directory); a hit returns the same bytes", async () => {
    const first = await compileSeccompCached(profile, cache);
    expect(first.bytes).toEqual(fresh.bytes);
    expect(first.flags).toBe(fresh.flags);
    const file = keyFile(profile);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(cache.dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(cache.dir)).toEqual([file.slice(cache.dir.length + 1)]);
    const again = await compileSeccompCached(profile, cache);
    expect(again.bytes).toEqual(fresh.bytes);
    expect(again.needsListener).toBe(false);
  });

  test("a hit is what the file says: the cache, not the compiler, answered", async () => {
    // Planted by us (owner, 0600): another profile's filter under this key.
    writeFilterAt(keyFile(profile), other);
    const got = await compileSeccompCached(profile, cache);
    expect(got.bytes).toEqual(compileSeccomp(other).bytes);
  });

  test("the key covers the profile and the build", () => {
    expect(cacheKey(profile, "a")).not.toBe(cacheKey(other, "a"));
    expect(cacheKey(profile, "a")).not.toBe(cacheKey(profile, "b"));
    expect(cacheKey(profile, "a")).toBe(cacheKey(zookeeperSeccompProfile(), "a"));
  });

  test("a file others could have written (mode other than 0600) is ignored and replaced", async () => {
    writeFilterAt(keyFile(profile), other);
    chmodSync(keyFile(profile), 0o644);
    const got = await compileSeccompCached(profile, cache);
    expect(got.bytes).toEqual(fresh.bytes);
    expect(statSync(keyFile(profile)).mode & 0o777).toBe(0o600);
    expect(readFilter(keyFile(profile))?.bytes).toEqual(fresh.bytes);
  });

  test.skipIf(!asRoot)("a file owned by someone else is ignored", async () => {
    writeFilterAt(keyFile(profile), other);
    chownSync(keyFile(profile), 65534, 65534);
    expect(readFilter(keyFile(profile))).toBeNull();
    expect((await compileSeccompCached(profile, cache)).bytes).toEqual(fresh.bytes);
  });

  test("a directory others may write to is not used at all", async () => {
    await compileSeccompCached(profile, cache);
    chmodSync(cache.dir, 0o777);
    writeFilterAt(keyFile(profile), other);
    expect((await compileSeccompCached(profile, cache)).bytes).toEqual(fresh.bytes);
    rmSync(keyFile(profile));
    await compileSeccompCached(profile, cache);
    expect(existsSync(keyFile(profile))).toBe(false);
  });

  test("a truncated or foreign file is ignored", async () => {
    writeFilterAt(keyFile(profile), other);
    truncateSync(keyFile(profile), 20);
    expect(readFilter(keyFile(profile))).toBeNull();
    writeFileSync(keyFile(profile), "not a filter at all, not at all", { mode: 0o600 });
    expect(readFilter(keyFile(profile))).toBeNull();
    expect((await compileSeccompCached(profile, cache)).bytes).toEqual(fresh.bytes);
  });

  test("profile errors come from the compiler, as without a cache", async () => {
    const bad = { defaultAction: "SCMP_ACT_NOPE" } as unknown as LinuxSeccomp;
    await expect(compileSeccompCached(bad, cache)).rejects.toThrow(/defaultAction/);
    await expect(compileSeccompCached(bad, null)).rejects.toThrow(/defaultAction/);
  });

  test("no cache when run from source or when switched off", () => {
    // These tests run from source: no compiled executable to identify the build by.
    expect(defaultSeccompCache({})).toBeNull();
    expect(defaultSeccompCache({ ZOO_SECCOMP_CACHE: "off" })).toBeNull();
  });
});

function writeFilterAt(file: string, p: LinuxSeccomp): void {
  const c = compileSeccomp(p);
  mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
  writeFilter(file, { bytes: c.bytes, flags: c.flags, needsListener: c.needsListener });
}

describe("seccomp filter cache pruning", () => {
  test("a miss in a directory past its limit keeps the newest entries, the new one among them", async () => {
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    for (let i = 0; i < 300; i++) {
      const f = join(cache.dir, `old-${i}`);
      writeFileSync(f, "x", { mode: 0o600 });
      utimesSync(f, 1000 + i, 1000 + i);
    }
    await compileSeccompCached(profile, cache);
    const left = readdirSync(cache.dir);
    expect(left.length).toBe(128);
    expect(left).toContain(keyFile(profile).slice(cache.dir.length + 1));
    expect(left).toContain("old-299");
    expect(left).not.toContain("old-0");
  });

  test("under the limit nothing is removed", () => {
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    for (let i = 0; i < 10; i++) writeFileSync(join(cache.dir, `e-${i}`), "x");
    pruneCache(cache.dir);
    expect(readdirSync(cache.dir).length).toBe(10);
  });
});
