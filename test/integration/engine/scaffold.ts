// Suite scaffolding for engine tests: a private store, every container a
// test made force-removed after it, and a leak check that looks only at what
// this suite could have made. Other engineers' containers come and go on the
// same host, so a whole-host snapshot comparison would flap: cgroups, veths
// and leases are matched by the ids of our containers, and new /tmp/zoo.*
// dirs must be gone within a grace period.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { leakSnapshot, requireBuild, run, ZOO, type RunOpts } from "../../helpers/env.ts";

export function useEngineStore() {
  const ctx = {
    store: "",
    /** Every container id seen in the store during the current test. */
    ids: new Set<string>(),
    zoo: async (args: string[], o: RunOpts = {}) => {
      const r = await run([ZOO, ...args], { ...o, env: { ZOO_ROOT: ctx.store, ...o.env } });
      ctx.seen();
      return r;
    },
    seen() {
      const dir = join(ctx.store, "containers");
      if (existsSync(dir)) for (const e of readdirSync(dir)) if (/^[0-9a-f]{64}$/.test(e)) ctx.ids.add(e);
    },
  };
  let tmpBefore = new Set<string>();
  beforeAll(() => {
    requireBuild();
    ctx.store = mkdtempSync("/var/tmp/zoo-test-store-");
  });
  beforeEach(() => {
    ctx.ids.clear();
    tmpBefore = new Set(leakSnapshot().tmpdirs);
  });
  afterEach(async () => {
    ctx.seen();
    const dir = join(ctx.store, "containers");
    const live = (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []).filter((d) => d.isDirectory() && /^[0-9a-f]{64}$/.test(d.name)).map((d) => d.name);
    if (live.length) await ctx.zoo(["rm", "-f", ...live]);
    expect(await leaksOf(ctx.store, ctx.ids, tmpBefore)).toEqual([]);
  });
  afterAll(() => rmSync(ctx.store, { recursive: true, force: true }));
  return ctx;
}

function ours(store: string, ids: Set<string>, tmpBefore: Set<string>): string[] {
  const short = [...ids].map((id) => id.slice(0, 12));
  const snap = leakSnapshot();
  const out: string[] = [];
  for (const c of snap.cgroups) if (short.some((s) => c.endsWith(`/zoo-${s}`))) out.push(c);
  for (const m of snap.mounts) if (m.includes(store)) out.push(m);
  for (const n of snap.net ?? []) if ([...ids].some((id) => n.startsWith(`z${id.slice(0, 12)}`))) out.push(n);
  for (const d of snap.tmpdirs) if (!tmpBefore.has(d)) out.push(d);
  if (existsSync("/run/zoo/net")) {
    for (const b of readdirSync("/run/zoo/net")) {
      try {
        const leases = JSON.parse(readFileSync(join("/run/zoo/net", b, "leases.json"), "utf8")) as { id: string }[];
        for (const l of leases) if (ids.has(l.id)) out.push(`lease ${l.id} on ${b}`);
      } catch {}
    }
  }
  for (const p of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(store)) out.push(`process ${p}`);
    } catch {}
  }
  return out;
}

/** Our leftovers, polled for a few seconds: cgroups are released a moment after exit, others' temp dirs come and go. */
async function leaksOf(store: string, ids: Set<string>, tmpBefore: Set<string>): Promise<string[]> {
  let now = ours(store, ids, tmpBefore);
  for (let i = 0; i < 60 && now.length; i++) {
    await Bun.sleep(50);
    now = ours(store, ids, tmpBefore);
  }
  return now;
}
