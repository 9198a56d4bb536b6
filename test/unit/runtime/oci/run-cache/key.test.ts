import { expect, test } from "bun:test";
import { statSync } from "node:fs";
import { entryFile, exeIdentity, fnv1a64, keyBytes, keyForRun, KEY_ENV } from "../../../../../src/runtime/oci/run-cache/key.ts";

const enc = new TextEncoder();

/** FNV-1a 64 computed by python, independently of the TypeScript. */
function pythonFnv(bytes: Uint8Array): string {
  const script = "import sys\nh=0xcbf29ce484222325\nfor c in sys.stdin.buffer.read(): h=((h^c)*0x100000001b3)&(2**64-1)\nprint('%016x'%h)";
  const p = Bun.spawnSync(["python3", "-c", script], { stdin: bytes });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return p.stdout.toString().trim();
}

test("FNV-1a 64 gives the published values", () => {
  expect(fnv1a64(enc.encode(""))).toBe("cbf29ce484222325");
  expect(fnv1a64(enc.encode("a"))).toBe("af63dc4c8601ec8c");
  expect(fnv1a64(enc.encode("foobar"))).toBe("85944171f73967e8");
});

test("FNV-1a 64 agrees with an independent implementation, leading zeros included", () => {
  for (const s of ["zoo-run-cache/1\0", "\0", "\xff\x01", "x".repeat(1000)]) {
    const b = enc.encode(s);
    expect(fnv1a64(b)).toBe(pythonFnv(b));
    expect(fnv1a64(b)).toMatch(/^[0-9a-f]{16}$/);
  }
});

test("the key is the documented fields, each ending with a NUL; unset variables have no =", () => {
  const key = keyBytes({
    exe: "1:2:3:4",
    euid: 0,
    cwd: "/work",
    env: { ZOO_SHIM: "/opt/zoo-shim", ZOO_DEBUG: "", LISTEN_FDS: "2", PATH: "/bin" },
    idLength: 5,
    args: ["--root", "/tmp/s", "run", "-b", "/b"],
  });
  expect(new TextDecoder().decode(key)).toBe(
    "zoo-run-cache/1\0exe=1:2:3:4\0uid=0\0cwd=/work\0" +
      "env=ZOO_SHIM=/opt/zoo-shim\0env=ZOO_CGROUP_PARENT\0env=XDG_RUNTIME_DIR\0env=ZOO_SECCOMP_CACHE\0env=ZOO_DEBUG=\0env=NOTIFY_SOCKET\0env=LISTEN_FDS=2\0" +
      "idlen=5\0arg=--root\0arg=/tmp/s\0arg=run\0arg=-b\0arg=/b\0",
  );
  expect(KEY_ENV.length).toBe(7);
});

test("the key's bytes are UTF-8 and its file name is its FNV-1a under the cache directory", () => {
  const key = keyBytes({ exe: "1:2:3:4", euid: 0, cwd: "/wörk", env: {}, idLength: 1, args: [] });
  expect(Buffer.from(key).indexOf(Buffer.from([...enc.encode("\0cwd=/w"), 0xc3, 0xb6, ...enc.encode("rk\0")]))).toBeGreaterThan(0);
  expect(entryFile(key)).toBe(`/run/zoo/cache/run/${pythonFnv(key)}`);
  expect(entryFile(key, "/x")).toBe(`/x/${pythonFnv(key)}`);
});

test("keyForRun keys on every argument but the ID, which must be the last", () => {
  const key = keyForRun(["--root", "/s", "run", "-d", "abc"], "abc", {});
  const text = new TextDecoder().decode(key!);
  const st = statSync(process.execPath, { bigint: true });
  expect(text).toContain(`\0exe=${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}\0uid=${process.geteuid!()}\0cwd=${process.cwd()}\0`);
  expect(text.endsWith("\0idlen=3\0arg=--root\0arg=/s\0arg=run\0arg=-d\0")).toBe(true);
  expect(keyForRun(["run", "abc", "-d"], "abc", {})).toBeNull();
  expect(keyForRun([], "abc", {})).toBeNull();
  expect(exeIdentity("/nonexistent/zoo")).toBeNull();
});
