import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bpf, mkfifo, SyscallError } from "../../../src/sys/libc.ts";

test("a failed libc call reports its own errno, in words", () => {
  const dir = mkdtempSync(join(tmpdir(), "zoo-unit-libc-"));
  try {
    mkfifo(join(dir, "f"), 0o600);
    let err: unknown;
    try {
      mkfifo(join(dir, "f"), 0o600);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).errno).toBe(17);
    expect((err as SyscallError).message).toBe(`mkfifo ${join(dir, "f")}: File exists`);
    expect(() => mkfifo(join(dir, "no/such/dir/f"), 0o600)).toThrow("No such file or directory");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bpf(2) reaches the kernel and reports its errno", () => {
  // An unknown command: EINVAL, or EPERM first where unprivileged bpf is off and we are not root.
  let err: unknown;
  try {
    bpf(9999, new Uint8Array(128));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SyscallError);
  expect([22, 1]).toContain((err as SyscallError).errno);
  expect((err as SyscallError).message).toMatch(/^bpf: (Invalid argument|Operation not permitted)$/);
});
