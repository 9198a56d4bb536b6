// Scaffolding for zoo-runtime suites: a private --root, busybox bundles made
// from runc-style default configs, and a leak check after every test.
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSpec } from "../../src/oci/default-spec.ts";
import type { Spec } from "../../src/oci/spec.ts";
import { removeRunCacheEntries } from "./run-cache.ts";
import { DIST, leakSnapshot, makeRootfs, removeFixtures, requireBuild, run, type LeakSnapshot, type RunOpts } from "./env.ts";

export const RUNTIME = join(DIST, "zoo-runtime");

export function useRuntimeSuite() {
  const ctx = {
    work: "",
    root: "",
    rootfs: "",
    n: 0,
    rt: (args: string[], o: RunOpts = {}) => run([RUNTIME, "--root", ctx.root, ...args], o),
    /** A bundle whose config is runc-style defaults with `args`, changed by `edit`. */
    bundle(args: string[], edit: (s: Spec) => void = () => {}): string {
      const dir = join(ctx.work, `bundle-${++ctx.n}`);
      mkdirSync(dir);
      const spec = defaultSpec({ rootless: false, uid: 0, gid: 0 });
      spec.root = { path: ctx.rootfs, readonly: true };
      spec.process!.args = args;
      edit(spec);
      writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
      return dir;
    },
    /** create/run -d leave the container holding their stdout: send it to a file, not a pipe we wait on. */
    async detached(args: string[]): Promise<{ code: number | null; log: string }> {
      const log = join(ctx.work, `out-${++ctx.n}.log`);
      const fd = openSync(log, "w");
      try {
        const p = Bun.spawn([RUNTIME, "--root", ctx.root, ...args], { stdio: ["ignore", fd, fd] });
        await p.exited;
        return { code: p.exitCode, log };
      } finally {
        closeSync(fd);
      }
    },
    async waitFor(pred: () => Promise<boolean> | boolean, what: string): Promise<void> {
      for (let i = 0; i < 200; i++) {
        if (await pred()) return;
        await Bun.sleep(25);
      }
      throw new Error(`timed out waiting for ${what}`);
    },
  };
  let before: LeakSnapshot;
  beforeAll(() => {
    requireBuild();
    ctx.rootfs = makeRootfs();
    ctx.work = mkdtempSync("/var/tmp/zoo-runtime-test-");
    ctx.root = join(ctx.work, "state");
    before = leakSnapshot();
  });
  afterEach(async () => {
    for (const id of (await ctx.rt(["list", "--quiet"])).stdout.split("\n").filter(Boolean)) await ctx.rt(["delete", "--force", id]);
    expect(await addedSince(before)).toEqual({ mounts: [], cgroups: [], tmpdirs: [] });
  });
  afterAll(() => {
    // Foreground runs leave run cache entries keyed on our --root.
    expect(removeRunCacheEntries(ctx.root)).toBe(0);
    rmSync(ctx.work, { recursive: true, force: true });
    removeFixtures();
  });
  return ctx;
}

/**
 * What appeared since `b` (polling briefly while cgroups are released). Only
 * additions count: other sessions on this host start and end containers too.
 */
export async function addedSince(b: LeakSnapshot, waitMs = 2000): Promise<LeakSnapshot> {
  const added = () => {
    const now = leakSnapshot();
    return {
      mounts: now.mounts.filter((m) => !b.mounts.includes(m)),
      cgroups: now.cgroups.filter((c) => !b.cgroups.includes(c)),
      tmpdirs: now.tmpdirs.filter((t) => !b.tmpdirs.includes(t)),
    };
  };
  let a = added();
  for (let i = 0; i < waitMs / 50 && a.mounts.length + a.cgroups.length + a.tmpdirs.length > 0; i++) {
    await Bun.sleep(50);
    a = added();
  }
  return a;
}
