// When zoo-shim rejects the plan, the user gets the shim's reason, not "zoo-shim
// exited". The shim here is a real one given a plan with a record type it does
// not know (test/fixtures/stale-shim.pl, as a shim from another build would
// see it), and the caller reads only once the shim is gone: the shim leaves
// our CLEANUP message unread, so that read meets a reset socket first.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DIST, IS_ROOT, REPO, run, useTempStore, ZOOKEEPER } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

const REASON = /^(zoo-runtime|zoo|zookeeper): zoo-shim rejected the plan at record \d+: unknown record type 0x01fe \(zoo-shim is from another build of zoo; install both from one build\)\n$/;

/** A ZOO_SHIM that runs the real shim through the fixture. */
function staleShim(dir: string): string {
  const path = join(dir, "stale-shim");
  writeFileSync(path, `#!/bin/sh\nexec /usr/bin/perl ${join(REPO, "test/fixtures/stale-shim.pl")} ${join(DIST, "zoo-shim")} "$@"\n`, { mode: 0o755 });
  return path;
}

describe.skipIf(!IS_ROOT)("a plan the shim rejects (zoo-runtime)", () => {
  const t = useRuntimeSuite();

  test("create and run print the shim's reason, exit 1 and leave nothing", async () => {
    const env = { ZOO_SHIM: staleShim(t.work) };
    for (const cmd of ["create", "run"]) {
      const id = `timens-stale-${cmd}`;
      const r = await t.rt([cmd, "-b", t.bundle(["true"]), id], { env });
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toMatch(REASON);
      expect(existsSync(join(t.root, id))).toBe(false);
    }
  });
});

describe.skipIf(!IS_ROOT)("a plan the shim rejects (zoo, zookeeper)", () => {
  const t = useTempStore();

  test("zoo run and zookeeper print the shim's reason and exit 125", async () => {
    const dir = mkdtempSync("/var/tmp/zoo-stale-shim-");
    try {
      const env = { ZOO_SHIM: staleShim(dir) };
      const zoo = await t.zoo(["run", "--rm", "busybox", "true"], { env });
      expect([zoo.code, zoo.stdout]).toEqual([125, ""]);
      expect(zoo.stderr).toMatch(REASON);
      expect((await t.zoo(["ps", "-a", "-q"])).stdout).toBe("");
      const zk = await run([ZOOKEEPER, "/bin/true"], { env });
      expect([zk.code, zk.stdout]).toEqual([125, ""]);
      expect(zk.stderr).toMatch(REASON);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
