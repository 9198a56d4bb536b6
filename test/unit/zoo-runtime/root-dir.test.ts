import { describe, expect, test } from "bun:test";
import { defaultRoot } from "../../../src/runtime/oci/root-dir.ts";

const xdg = { XDG_RUNTIME_DIR: "/run/user/1000", USER: "alice" };

describe("defaultRoot (runc's rule)", () => {
  test("real root keeps /run/zoo-runtime even with XDG_RUNTIME_DIR set", () => {
    expect(defaultRoot("auto", { euid: 0, inUserNs: false, env: xdg })).toBe("/run/zoo-runtime");
  });
  test("an unprivileged user uses XDG_RUNTIME_DIR, or is told to set it", () => {
    expect(defaultRoot("auto", { euid: 1000, inUserNs: false, env: xdg })).toBe("/run/user/1000/zoo-runtime");
    expect(() => defaultRoot("auto", { euid: 1000, inUserNs: false, env: {} })).toThrow("XDG_RUNTIME_DIR is not set");
  });
  test("root of a user namespace (rootless podman) uses XDG_RUNTIME_DIR unless USER is root", () => {
    expect(defaultRoot("auto", { euid: 0, inUserNs: true, env: xdg })).toBe("/run/user/1000/zoo-runtime");
    expect(defaultRoot("auto", { euid: 0, inUserNs: true, env: { ...xdg, USER: "root" } })).toBe("/run/zoo-runtime");
    expect(defaultRoot("auto", { euid: 0, inUserNs: true, env: {} })).toBe("/run/zoo-runtime");
  });
  test("--rootless false ignores XDG_RUNTIME_DIR; --rootless true needs it", () => {
    expect(defaultRoot("false", { euid: 0, inUserNs: true, env: xdg })).toBe("/run/zoo-runtime");
    expect(() => defaultRoot("true", { euid: 0, inUserNs: false, env: {} })).toThrow("XDG_RUNTIME_DIR");
  });
});
