// useTempStore (test/helpers/env.ts) with a leak check that looks only at
// what appeared during a test: other engineers' containers come and go on
// this machine meanwhile, and their disappearance is not our leak.
import { afterEach, beforeEach, expect } from "bun:test";
import { readFileSync } from "node:fs";
import { leakSnapshot, useStoreOnly, type LeakSnapshot } from "../../helpers/env.ts";

function added(before: LeakSnapshot, now: LeakSnapshot, store: string): string[] {
  // Overlay roots and anything else mounted below this suite's store.
  const out = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => store && l.includes(store)).map((l) => `mount: ${l}`);
  for (const k of ["mounts", "cgroups", "tmpdirs", "net"] as const) {
    const had = new Set(before[k] ?? []);
    for (const x of now[k] ?? []) if (!had.has(x)) out.push(`${k}: ${x}`);
  }
  return out;
}

export function useImageStore() {
  const ctx = useStoreOnly();
  let before: LeakSnapshot;
  beforeEach(() => {
    before = leakSnapshot();
  });
  afterEach(async () => {
    let left = added(before, leakSnapshot(), ctx.store);
    // A just-exited container's cgroup can take a moment to be released.
    for (let i = 0; i < 20 && left.length; i++) {
      await Bun.sleep(50);
      left = added(before, leakSnapshot(), ctx.store);
    }
    expect(left).toEqual([]);
  });
  return ctx;
}
