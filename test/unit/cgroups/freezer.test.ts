// The freezer against temp directories standing in for cgroupfs: what state
// each version reports, that freeze waits for the kernel's word, retries v1's
// FREEZING, and undoes a freeze that never completes.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContainerCgroup } from "../../../src/cgroups/index.ts";
import { realFs, type CgroupFs } from "../../../src/cgroups/fs.ts";
import { v1FreezerState, v1SetFrozen, v2FreezerState, v2SetFrozen } from "../../../src/cgroups/freezer.ts";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function cgroupDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "zoo-freezer-"));
  dirs.push(d);
  for (const [f, v] of Object.entries(files)) writeFileSync(join(d, f), v);
  return d;
}
const sleep = () => Promise.resolve();

/**
 * A cgroupfs whose freezer takes `reads` reads of the state file to settle
 * (v1: FREEZING → FROZEN; v2: cgroup.events frozen 0 → 1), or never.
 */
function slowFs(reads: number | "never", counts = { writes: [] as string[] }): CgroupFs & { writes: string[] } {
  let left = 0;
  return {
    ...realFs,
    writes: counts.writes,
    writeFile(path, value) {
      counts.writes.push(`${path.split("/").pop()}=${value}`);
      if (path.endsWith("freezer.state")) {
        if (value === "FROZEN" && reads !== 0) {
          if (!readFileSync(path, "utf8").startsWith("FREEZING")) left = reads === "never" ? Infinity : reads;
          return writeFileSync(path, "FREEZING\n");
        }
        return writeFileSync(path, `${value}\n`);
      }
      if (path.endsWith("cgroup.freeze")) {
        writeFileSync(path, `${value}\n`);
        left = value === "1" ? (reads === "never" ? Infinity : reads) : 0;
        if (left === 0) writeFileSync(path.replace(/cgroup\.freeze$/, "cgroup.events"), `populated 1\nfrozen ${value}\n`);
        return;
      }
      realFs.writeFile(path, value);
    },
    readFile(path) {
      if (left > 0 && --left === 0) {
        const dir = path.slice(0, path.lastIndexOf("/"));
        if (realFs.exists(`${dir}/freezer.state`)) writeFileSync(`${dir}/freezer.state`, "FROZEN\n");
        if (realFs.exists(`${dir}/cgroup.events`)) writeFileSync(`${dir}/cgroup.events`, "populated 1\nfrozen 1\n");
      }
      return realFs.readFile(path);
    },
  };
}

describe("v1 freezer.state", () => {
  test("states, and no freezer at all", () => {
    expect(v1FreezerState(realFs, cgroupDir({ "freezer.state": "THAWED\n" }))).toBe("thawed");
    expect(v1FreezerState(realFs, cgroupDir({ "freezer.state": "FREEZING\n" }))).toBe("freezing");
    expect(v1FreezerState(realFs, cgroupDir({ "freezer.state": "FROZEN\n" }))).toBe("frozen");
    expect(v1FreezerState(realFs, cgroupDir({}))).toBeUndefined();
  });
  test("freeze waits through FREEZING, rewriting FROZEN, until the kernel says FROZEN", async () => {
    const d = cgroupDir({ "freezer.state": "THAWED\n" });
    const fs = slowFs(5);
    await v1SetFrozen({ cfs: fs, sleep }, d, true);
    expect(v1FreezerState(realFs, d)).toBe("frozen");
    expect(fs.writes.filter((w) => w === "freezer.state=FROZEN").length).toBeGreaterThan(1);
    await v1SetFrozen({ cfs: fs, sleep }, d, false);
    expect(v1FreezerState(realFs, d)).toBe("thawed");
  });
  test("a freeze that never completes is undone and reported", async () => {
    const d = cgroupDir({ "freezer.state": "THAWED\n" });
    const fs = slowFs("never");
    await expect(v1SetFrozen({ cfs: fs, sleep, timeoutMs: 30 }, d, true)).rejects.toThrow(`cannot freeze ${d}: still FREEZING after 30 ms`);
    expect(readFileSync(join(d, "freezer.state"), "utf8").trim()).toBe("THAWED");
  });
});

describe("v2 cgroup.freeze", () => {
  test("states from cgroup.freeze and cgroup.events", () => {
    expect(v2FreezerState(realFs, cgroupDir({ "cgroup.freeze": "0\n", "cgroup.events": "populated 1\nfrozen 0\n" }))).toBe("thawed");
    expect(v2FreezerState(realFs, cgroupDir({ "cgroup.freeze": "1\n", "cgroup.events": "populated 1\nfrozen 0\n" }))).toBe("freezing");
    expect(v2FreezerState(realFs, cgroupDir({ "cgroup.freeze": "1\n", "cgroup.events": "populated 1\nfrozen 1\n" }))).toBe("frozen");
    expect(v2FreezerState(realFs, cgroupDir({ "cgroup.events": "populated 0\n" }))).toBeUndefined();
  });
  test("freeze returns only once cgroup.events says frozen 1", async () => {
    const d = cgroupDir({ "cgroup.freeze": "0\n", "cgroup.events": "populated 1\nfrozen 0\n" });
    await v2SetFrozen({ cfs: slowFs(4), sleep }, d, true);
    expect(readFileSync(join(d, "cgroup.events"), "utf8")).toContain("frozen 1");
    await v2SetFrozen({ cfs: slowFs(0), sleep }, d, false);
    expect(v2FreezerState(realFs, d)).toBe("thawed");
  });
  test("a freeze that never completes is undone and reported", async () => {
    const d = cgroupDir({ "cgroup.freeze": "0\n", "cgroup.events": "populated 1\nfrozen 0\n" });
    await expect(v2SetFrozen({ cfs: slowFs("never"), sleep, timeoutMs: 30 }, d, true)).rejects.toThrow("cgroup.events does not say frozen after 30 ms; thawed it again");
    expect(readFileSync(join(d, "cgroup.freeze"), "utf8").trim()).toBe("0");
  });
});

describe("ContainerCgroup freezer choice", () => {
  const state = (paths: { version: 1 | 2; controllers: string[]; dir: string }[]) => ({
    name: "zoo-x",
    createdParents: [],
    paths: paths.map((p) => ({ ...p, mountPoint: p.dir.slice(0, p.dir.lastIndexOf("/")) })),
  });
  test("the v1 freezer hierarchy wins over the v2 directory on a hybrid host", async () => {
    const v2 = cgroupDir({ "cgroup.freeze": "0\n", "cgroup.events": "frozen 0\n" });
    const v1 = cgroupDir({ "freezer.state": "THAWED\n" });
    mkdirSync(join(v1, "zoo-x"));
    writeFileSync(join(v1, "zoo-x", "freezer.state"), "THAWED\n");
    const cg = ContainerCgroup.restore(state([{ version: 2, controllers: [], dir: v2 }, { version: 1, controllers: ["freezer"], dir: join(v1, "zoo-x") }]), { sleep });
    expect(cg.freezerState()).toBe("thawed");
    await cg.setFrozen(true);
    expect(cg.freezerState()).toBe("frozen");
    expect(readFileSync(join(v1, "zoo-x", "freezer.state"), "utf8").trim()).toBe("FROZEN");
    expect(readFileSync(join(v2, "cgroup.freeze"), "utf8")).toBe("0\n");
  });
  test("v2 only; and a cgroup with nothing to freeze says so", async () => {
    const v2 = cgroupDir({ "cgroup.freeze": "0\n", "cgroup.events": "frozen 0\n" });
    const cg = ContainerCgroup.restore(state([{ version: 2, controllers: [], dir: v2 }]), { fs: slowFs(0), sleep });
    await cg.setFrozen(true);
    expect(cg.freezerState()).toBe("frozen");
    const none = ContainerCgroup.restore(state([{ version: 1, controllers: ["pids"], dir: cgroupDir({}) }]), { sleep });
    expect(none.freezerState()).toBeUndefined();
    await expect(none.setFrozen(true)).rejects.toThrow("cgroup zoo-x has no freezer");
  });
});
