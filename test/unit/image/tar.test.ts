import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTar } from "../../../src/image/tar.ts";
import { busyboxEntries, isStaticElf } from "../../../src/image/busybox.ts";

test("GNU tar reads what we write, with modes and links intact", () => {
  const long = "d/" + "a".repeat(60) + "/" + "b".repeat(60);
  const tar = writeTar([
    { path: "d/", type: "dir", mode: 0o755 },
    { path: "d/f", type: "file", mode: 0o4755, data: new TextEncoder().encode("hello") },
    { path: "d/l", type: "symlink", mode: 0o777, linkname: "/bin/busybox" },
    { path: "d/" + "a".repeat(60) + "/", type: "dir", mode: 0o755 },
    { path: long, type: "file", mode: 0o644, data: new Uint8Array(1000) },
  ]);
  const dir = mkdtempSync(join(tmpdir(), "zoo-tar-"));
  try {
    writeFileSync(join(dir, "t.tar"), tar);
    const r = Bun.spawnSync(["tar", "-xpf", "t.tar"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(dir, "d/f"), "utf8")).toBe("hello");
    expect(statSync(join(dir, "d/f")).mode & 0o7777).toBe(0o4755);
    expect(readlinkSync(join(dir, "d/l"))).toBe("/bin/busybox");
    expect(statSync(join(dir, long)).size).toBe(1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the same entries always give the same bytes", () => {
  const e = busyboxEntries(new Uint8Array([1, 2, 3]), ["bin/sh", "usr/bin/wget", "../evil", "bin/busybox"]);
  expect(writeTar(e)).toEqual(writeTar(busyboxEntries(new Uint8Array([1, 2, 3]), ["usr/bin/wget", "bin/sh"])));
  expect(e.some((x) => x.path.includes(".."))).toBe(false);
});

test("static ELF detection", () => {
  expect(isStaticElf("/bin/sh")).toBe(false); // dynamically linked on Debian
  if (statSync("/bin/busybox", { throwIfNoEntry: false })) expect(isStaticElf("/bin/busybox")).toBe(true);
});
