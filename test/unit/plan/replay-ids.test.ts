import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ids from "../../../src/plan/replay-ids.ts";

// The C header is the source of truth; every #define must match the TS mirror.
const header = readFileSync(join(import.meta.dir, "../../../native/include/zoo_replay.h"), "utf8");
const defines = new Map<string, string>();
for (const m of header.matchAll(/^#define (ZOO_\w+) (.+?)\s*(?:\/\*.*)?$/gm)) defines.set(m[1]!, m[2]!.trim());

/** The value of a numeric, character or (a * b * c) #define. */
function value(name: string): number | string {
  const text = defines.get(name);
  if (text === undefined) throw new Error(`${name} is not in zoo_replay.h`);
  const chr = /^'(.)'$/.exec(text);
  if (chr) return chr[1]!;
  const str = /^"(.*)"$/.exec(text);
  if (str) return str[1]!;
  const factors = text.replace(/[()]/g, "").split("*").map((f) => Number(f.trim().replace(/u$/, "")));
  if (factors.some((f) => !Number.isFinite(f))) throw new Error(`${name}: cannot read ${text}`);
  return factors.reduce((a, b) => a * b, 1);
}

const mirror: [string, Record<string, number | string>][] = [
  ["ZOO_RR_", ids.RR], ["ZOO_GUARD_", ids.Guard], ["ZOO_SITE_", ids.Site], ["ZOO_PHASE_", ids.Phase],
  ["ZOO_RMKDIR_", ids.RMkdir], ["ZOO_RRMDIR_", ids.RRmdir], ["ZOO_MARK_", ids.Mark], ["ZOO_RF_", ids.RFlag], ["ZOO_NL_", ids.NetlinkWhere],
];

test("every ID in zoo_replay.h is mirrored in replay-ids.ts with the same value", () => {
  for (const [prefix, table] of mirror) {
    const fromHeader = [...defines.keys()].filter((k) => k.startsWith(prefix)).map((k) => [k.slice(prefix.length), value(k)]);
    expect(fromHeader.length).toBeGreaterThan(0);
    expect(Object.fromEntries(fromHeader)).toEqual({ ...table });
  }
  expect(value("ZOO_REPLAY_MAGIC")).toBe(ids.REPLAY_MAGIC);
  expect(value("ZOO_REPLAY_VERSION")).toBe(ids.REPLAY_VERSION);
  expect(value("ZOO_REPLAY_HEADER_SIZE")).toBe(ids.REPLAY_HEADER_SIZE);
  expect(value("ZOO_REPLAY_MAX_SIZE")).toBe(ids.REPLAY_MAX_SIZE);
  expect(value("ZOO_REPLAY_KEY_TAG")).toBe(ids.REPLAY_KEY_TAG);
  expect(value("ZOO_REPLAY_TOKEN_LEN")).toBe(ids.REPLAY_TOKEN_LEN);
  expect(value("ZOO_MARK")).toBe(ids.MARK);
  expect(value("ZOO_REPLAY_ENGINE_ID_LEN")).toBe(ids.REPLAY_ENGINE_ID_LEN);
  expect(value("ZOO_REPLAY_SHORT_ID_LEN")).toBe(ids.REPLAY_SHORT_ID_LEN);
  expect(value("ZOO_REPLAY_BUN_NAME")).toBe(ids.REPLAY_BUN_NAME);
  expect(value("ZOO_REPLAY_RUNTIME_ENV")).toBe(ids.REPLAY_RUNTIME_ENV.join(" "));
  expect(value("ZOO_REPLAY_ENGINE_ENV")).toBe(ids.REPLAY_ENGINE_ENV.join(" "));
  // The magic is the bytes "ZOOR" in file order.
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, ids.REPLAY_MAGIC, true);
  expect(new TextDecoder().decode(b)).toBe("ZOOR");
});
