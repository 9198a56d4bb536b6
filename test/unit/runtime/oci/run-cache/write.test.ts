import { afterEach, beforeEach, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_ENTRIES, writeEntry } from "../../../../../src/runtime/oci/run-cache/write.ts";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync("/tmp/zoo-run-cache-write-");
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

test("an entry is written whole, mode 0600, into a 0700 directory made for it", () => {
  const dir = join(tmp, "cache", "run");
  const old = process.umask(0o077);
  try {
    expect(writeEntry(join(dir, "0123456789abcdef"), new Uint8Array([1, 2, 3]))).toBe(true);
  } finally {
    process.umask(old);
  }
  expect([...readFileSync(join(dir, "0123456789abcdef"))]).toEqual([1, 2, 3]);
  expect(statSync(join(dir, "0123456789abcdef")).mode & 0o7777).toBe(0o600);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  expect(readdirSync(dir)).toEqual(["0123456789abcdef"]);
  // Written again: replaced, not appended.
  expect(writeEntry(join(dir, "0123456789abcdef"), new Uint8Array([9]))).toBe(true);
  expect([...readFileSync(join(dir, "0123456789abcdef"))]).toEqual([9]);
});

test("the mode is 0600 exactly even under a umask that would take more", () => {
  const old = process.umask(0o277);
  try {
    expect(writeEntry(join(tmp, "e"), new Uint8Array([1]))).toBe(true);
  } finally {
    process.umask(old);
  }
  expect(statSync(join(tmp, "e")).mode & 0o7777).toBe(0o600);
});

test("a directory others may write to gets no entry", () => {
  const dir = join(tmp, "open");
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  expect(writeEntry(join(dir, "e"), new Uint8Array([1]))).toBe(false);
  expect(existsSync(join(dir, "e"))).toBe(false);
  expect(readdirSync(dir)).toEqual([]);
});

test("beyond the limit the oldest entries go", () => {
  const dir = join(tmp, "full");
  mkdirSync(dir, { mode: 0o700 });
  for (let i = 0; i < MAX_ENTRIES; i++) {
    writeFileSync(join(dir, `e${i}`), "x", { mode: 0o600 });
    utimesSync(join(dir, `e${i}`), 1000 + i, 1000 + i);
  }
  expect(writeEntry(join(dir, "new"), new Uint8Array([1]))).toBe(true);
  const left = readdirSync(dir);
  expect(left.length).toBe(MAX_ENTRIES);
  expect(left).toContain("new");
  expect(left).not.toContain("e0");
  expect(left).toContain("e1");
});
