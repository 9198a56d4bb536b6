// A ContainerCgroup on the fake cgroupfs with a fixed host (2MB huge pages,
// block devices 254:0 and 8:0), for the resource-kind suites.
import { afterEach } from "bun:test";
import * as fs from "node:fs";
import { ContainerCgroup } from "../../../src/cgroups/container.ts";
import { detectHierarchies } from "../../../src/cgroups/detect.ts";
import type { HostInfo } from "../../../src/cgroups/host.ts";
import { FakeCgroupFs, type FakeMount, type FakeOptions } from "./fake-cgroupfs.ts";

export const FAKE_HOST: HostInfo = {
  hugePageSizes: () => ["2MB"],
  blockDevice: (major, minor) => (major === 254 || major === 8) && minor === 0,
};

export function fakeContainer(mounts: FakeMount[], fakeOpts: FakeOptions = {}, parent?: string) {
  const f = new FakeCgroupFs(mounts, fakeOpts);
  const hierarchies = detectHierarchies({ procDir: f.procDir(), rootPrefix: f.root, fs: f });
  const make = (name: string) => new ContainerCgroup(name, { fs: f, hierarchies, env: {}, uid: 0, kill: f.kill, sleep: f.sleep, host: FAKE_HOST, parent });
  const read = (p: string) => fs.readFileSync(f.abs(p), "utf8").trim();
  /** Writes since `from` as "file=value", the directory left out. */
  const writesSince = (from: number) => f.writes.slice(from).map((w) => `${w.path.split("/").pop()}=${w.value}`);
  return { f, make, read, writesSince };
}

/** fakeContainer for a suite: each test's fake tree is removed after it. */
export function useFakeContainers(): typeof fakeContainer {
  let fake: FakeCgroupFs | undefined;
  afterEach(() => {
    fake?.cleanup();
    fake = undefined;
  });
  return (...a) => {
    const s = fakeContainer(...a);
    fake = s.f;
    return s;
  };
}
