import { expect, test } from "bun:test";
import { familiarName, parseRef, storeKey } from "../../../src/image/ref.ts";
import { choosePlatform, parsePlatform } from "../../../src/image/pull.ts";
import { isInsecureRegistry, parseChallenge } from "../../../src/image/registry.ts";
import { formatBytes } from "../../../src/image/units.ts";
import { overlayInUserNs } from "../../../src/image/rootfs.ts";

const D = "sha256:" + "ab".repeat(32);

test("references: short names are Docker Hub's library, registries are recognised by a dot, a port or localhost", () => {
  expect(parseRef("busybox")).toEqual({ registry: "docker.io", repo: "library/busybox", tag: "latest", digest: undefined });
  expect(parseRef("me/app:1.2")).toEqual({ registry: "docker.io", repo: "me/app", tag: "1.2", digest: undefined });
  expect(parseRef("localhost:5000/x/y")).toMatchObject({ registry: "localhost:5000", repo: "x/y", tag: "latest" });
  expect(parseRef("quay.io/a/b:c")).toMatchObject({ registry: "quay.io", repo: "a/b", tag: "c" });
  expect(parseRef(`alpine@${D}`)).toEqual({ registry: "docker.io", repo: "library/alpine", tag: undefined, digest: D });
  expect(parseRef(`alpine:3@${D}`)).toMatchObject({ tag: "3", digest: D });
  expect(parseRef("index.docker.io/library/alpine").registry).toBe("docker.io");
});

test("store keys are the familiar names Docker shows", () => {
  expect(storeKey(parseRef("docker.io/library/busybox"))).toBe("busybox:latest");
  expect(storeKey(parseRef("me/app:2"))).toBe("me/app:2");
  expect(storeKey(parseRef("127.0.0.1:5000/x:1"))).toBe("127.0.0.1:5000/x:1");
  expect(storeKey(parseRef(`busybox@${D}`))).toBe(`busybox@${D}`);
  expect(familiarName(parseRef("ghcr.io/o/r"))).toBe("ghcr.io/o/r");
});

test("bad references say what is wrong", () => {
  expect(() => parseRef("UPPER/case")).toThrow(/repository names are lowercase/);
  expect(() => parseRef("x@sha256:123")).toThrow(/sha256: and 64 hex digits/);
  expect(() => parseRef("x:bad tag")).toThrow(/tag "bad tag"/);
  expect(() => parseRef("")).toThrow(/invalid image reference/);
});

test("WWW-Authenticate challenges", () => {
  expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual({
    scheme: "bearer",
    params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" },
  });
  expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: "basic", params: { realm: "Registry Realm" } });
  expect(parseChallenge('Bearer realm="a\\"b",error=insufficient_scope')!.params).toEqual({ realm: 'a"b', error: "insufficient_scope" });
});

test("plain HTTP only for loopback and ZOO_INSECURE_REGISTRIES", () => {
  expect(isInsecureRegistry("localhost:5000")).toBe(true);
  expect(isInsecureRegistry("127.0.0.1:41000")).toBe(true);
  expect(isInsecureRegistry("[::1]:5000")).toBe(true);
  expect(isInsecureRegistry("registry.example.com")).toBe(false);
  process.env.ZOO_INSECURE_REGISTRIES = "a.lan:5000, b.lan";
  try {
    expect(isInsecureRegistry("b.lan")).toBe(true);
    expect(isInsecureRegistry("a.lan")).toBe(false);
  } finally {
    delete process.env.ZOO_INSECURE_REGISTRIES;
  }
});

test("platforms: exact variant first, arm64 matches v8, attestation entries never", () => {
  const m = (architecture: string, variant?: string, os = "linux") => ({ mediaType: "m", digest: `${architecture}${variant ?? ""}`, size: 1, platform: { os, architecture, variant } });
  const list = [m("unknown", undefined, "unknown"), m("amd64"), m("arm", "v7"), m("arm64", "v8")];
  expect(choosePlatform(list, parsePlatform("linux/amd64")).digest).toBe("amd64");
  expect(choosePlatform(list, parsePlatform("linux/arm64")).digest).toBe("arm64v8");
  expect(choosePlatform(list, parsePlatform("linux/arm/v7")).digest).toBe("armv7");
  expect(() => choosePlatform(list, parsePlatform("linux/riscv64"))).toThrow("no image for linux/riscv64 in the index (it has linux/amd64, linux/arm/v7, linux/arm64/v8): pick one with --platform");
  expect(() => parsePlatform("linux")).toThrow(/OS\/ARCH/);
});

test("sizes as Docker prints them; overlay in user namespaces from 5.11", () => {
  expect([formatBytes(999), formatBytes(2_130_000), formatBytes(45_600_000)]).toEqual(["999B", "2.13MB", "45.6MB"]);
  expect([overlayInUserNs("5.10.0-21-amd64"), overlayInUserNs("5.11.0"), overlayInUserNs("6.18.1")]).toEqual([false, true, true]);
});
