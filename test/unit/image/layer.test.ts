// Unpacking layers into a scratch directory, and reading files back through
// a stack of them as overlayfs would. Needs no privilege except where noted.
import { afterEach, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { HostileLayerError, layerPath, sniffCompression, unpackLayer } from "../../../src/image/layer.ts";
import { lookup, readImageFile } from "../../../src/image/rootfs.ts";
import { lgetxattr } from "../../../src/image/sys.ts";
import { writeTar, type TarEntry } from "../../../src/image/tar.ts";
import { readTar } from "../../../src/image/tar-read.ts";
import { createHash } from "node:crypto";

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "zoo-layer-unit-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const text = (s: string) => new TextEncoder().encode(s);
const ROOT = process.geteuid!() === 0;

async function unpack(entries: TarEntry[] | Uint8Array, compress: (b: Uint8Array) => Uint8Array = (b) => b) {
  const d = scratch();
  const blob = join(d, "blob");
  const tar = entries instanceof Uint8Array ? entries : writeTar(entries);
  writeFileSync(blob, compress(tar));
  const root = join(d, "root");
  mkdirSync(root);
  const diffId = await unpackLayer(blob, root, { rootless: !ROOT, maxBytes: 1 << 30 });
  return { root, diffId, tar };
}

test("paths: ./ and // are cleaned, absolute and .. refused", () => {
  expect(layerPath("./a//b/", "entry")).toEqual(["a", "b"]);
  expect(() => layerPath("/etc/passwd", "entry")).toThrow(HostileLayerError);
  expect(() => layerPath("a/../../b", "entry")).toThrow('entry "a/../../b" contains ".."');
});

test("compression is found by magic bytes, whatever the media type says", () => {
  expect(sniffCompression(gzipSync(text("x")))).toBe("gzip");
  expect(sniffCompression(zstdCompressSync(text("x")))).toBe("zstd");
  expect(sniffCompression(text("plain"))).toBe("none");
});

for (const [name, c] of [["plain", undefined], ["gzip", gzipSync], ["zstd", zstdCompressSync]] as const) {
  test(`a ${name} layer unpacks with modes, links and its diff ID`, async () => {
    const { root, diffId, tar } = await unpack(
      [
        { path: "d/", type: "dir", mode: 0o750 },
        { path: "d/f", type: "file", mode: 0o640, data: text("hello") },
        { path: "d/hl", type: "hardlink", mode: 0o640, linkname: "d/f" },
        { path: "l", type: "symlink", mode: 0o777, linkname: "/outside/target" },
        { path: "implicit/parent/f", type: "file", mode: 0o644, data: text("x") },
      ],
      c,
    );
    expect(diffId).toBe("sha256:" + createHash("sha256").update(tar).digest("hex"));
    expect(readFileSync(join(root, "d/f"), "utf8")).toBe("hello");
    expect(statSync(join(root, "d")).mode & 0o7777).toBe(0o750);
    expect(statSync(join(root, "d/f")).mode & 0o7777).toBe(0o640);
    expect(statSync(join(root, "d/hl")).ino).toBe(statSync(join(root, "d/f")).ino);
    expect(readlinkSync(join(root, "l"))).toBe("/outside/target");
    expect(statSync(join(root, "implicit/parent")).isDirectory()).toBe(true);
  });
}

test("whiteouts become 0/0 devices and opaque dirs get overlay's attribute", async () => {
  const { root } = await unpack([
    { path: ".wh.gone", type: "file", mode: 0o644, data: new Uint8Array() },
    { path: "d/", type: "dir", mode: 0o755 },
    { path: "d/.wh..wh..opq", type: "file", mode: 0o644, data: new Uint8Array() },
    { path: "d/.wh..wh.plnk", type: "file", mode: 0o644, data: new Uint8Array() },
  ]);
  const st = lstatSync(join(root, "gone"));
  expect(st.isCharacterDevice() && st.rdev === 0).toBe(true);
  expect(existsSync(join(root, "d/.wh..wh..opq"))).toBe(false);
  expect(existsSync(join(root, "d/.wh..wh.plnk"))).toBe(false);
  const attr = lgetxattr(join(root, "d"), ROOT ? "trusted.overlay.opaque" : "user.overlay.opaque");
  expect(attr && new TextDecoder().decode(attr)).toBe("y");
});

test("a later entry replaces an earlier one (file over dir, dir kept for dir)", async () => {
  const { root } = await unpack([
    { path: "x/", type: "dir", mode: 0o755 },
    { path: "x/inner", type: "file", mode: 0o644, data: text("1") },
    { path: "x", type: "file", mode: 0o644, data: text("now a file") },
    { path: "y/", type: "dir", mode: 0o700 },
    { path: "y/keep", type: "file", mode: 0o644, data: text("k") },
    { path: "y/", type: "dir", mode: 0o755 },
  ]);
  expect(readFileSync(join(root, "x"), "utf8")).toBe("now a file");
  expect(readFileSync(join(root, "y/keep"), "utf8")).toBe("k");
  expect(statSync(join(root, "y")).mode & 0o777).toBe(0o755);
});

test("GNU tar's long names, long links and PAX headers read back", async () => {
  const d = scratch();
  const long = "a".repeat(120) + "/" + "b".repeat(120);
  mkdirSync(join(d, "src", long), { recursive: true });
  writeFileSync(join(d, "src", long, "f"), "deep");
  symlinkSync("t".repeat(150), join(d, "src", "ln"));
  for (const format of ["gnu", "pax"]) {
    const r = Bun.spawnSync(["tar", `--format=${format}`, "-C", join(d, "src"), "-cf", join(d, `${format}.tar`), "."]);
    expect(r.exitCode).toBe(0);
    const names: string[] = [];
    const links: string[] = [];
    async function* chunks() {
      yield new Uint8Array(readFileSync(join(d, `${format}.tar`)));
    }
    for await (const e of readTar(chunks())) {
      names.push(e.header.path);
      if (e.header.type === "symlink") links.push(e.header.linkname);
    }
    expect(names).toContain(`./${long}/f`);
    expect(links).toEqual(["t".repeat(150)]);
  }
});

test("lookup through layers: top wins, whiteouts hide, opaque dirs stop the descent", async () => {
  const low = (await unpack([
    { path: "etc/passwd", type: "file", mode: 0o644, data: text("low") },
    { path: "etc/group", type: "file", mode: 0o644, data: text("low-group") },
    { path: "o/old", type: "file", mode: 0o644, data: text("old") },
    { path: "lnk", type: "symlink", mode: 0o777, linkname: "/etc" },
  ])).root;
  const high = (await unpack([
    { path: "etc/passwd", type: "file", mode: 0o644, data: text("high") },
    { path: "etc/.wh.group", type: "file", mode: 0o644, data: new Uint8Array() },
    { path: "o/", type: "dir", mode: 0o755 },
    { path: "o/.wh..wh..opq", type: "file", mode: 0o644, data: new Uint8Array() },
  ])).root;
  const lower = [high, low];
  expect(readImageFile(lower, "/etc/passwd")).toBe("high");
  expect(readImageFile(lower, "/etc/group")).toBe(null);
  expect(lookup(lower, "/o/old")).toBe(null);
  expect(lookup(lower, "/lnk")?.kind).toBe("symlink");
  expect(lookup(lower, "/lnk/passwd")?.kind).toBe("symlink");
});
