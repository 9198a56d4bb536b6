import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ids from "../../../src/plan/ids.ts";

// The C header is the source of truth; every #define must match the TS mirror.
const header = readFileSync(join(import.meta.dir, "../../../native/include/zoo_plan.h"), "utf8");
const defines = new Map<string, number>();
for (const m of header.matchAll(/^#define (ZOO_\w+) \(?(0x[0-9a-fA-F]+|\d+)u?(?: \* 1024u \* 1024u\))?/gm)) {
  defines.set(m[1]!, Number(m[2]!.replace(/u$/, "")));
}

const mirror: [string, Record<string, number>][] = [
  ["ZOO_REC_", ids.Rec], ["ZOO_OP_", ids.Op], ["ZOO_MSG_", ids.Msg], ["ZOO_STAGE_", ids.Stage],
  ["ZOO_OPT_", ids.Opt], ["ZOO_MKDIR_", ids.MkdirFlag], ["ZOO_WRITE_", ids.WriteFlag],
];

test("every ID in zoo_plan.h is mirrored in ids.ts with the same value", () => {
  for (const [prefix, table] of mirror) {
    const fromHeader = [...defines].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]);
    expect(fromHeader.length).toBeGreaterThan(0);
    expect(Object.fromEntries(fromHeader)).toEqual({ ...table });
  }
  expect(defines.get("ZOO_PLAN_MAGIC")).toBe(ids.PLAN_MAGIC);
  expect(defines.get("ZOO_PLAN_VERSION")).toBe(ids.PLAN_VERSION);
  expect(defines.get("ZOO_PLAN_HEADER_SIZE")).toBe(ids.PLAN_HEADER_SIZE);
});
