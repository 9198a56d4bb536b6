import { expect, test } from "bun:test";
import { Payload, encodePlan } from "../../../../../src/plan/encode.ts";
import { Mark, Site } from "../../../../../src/plan/replay-ids.ts";
import type { ContainerState } from "../../../../../src/runtime/oci/store.ts";
import { fillMarkers, fillPlan, marker, planSites, standInId, standInToken, stateTemplate, Templater, type MarkValues, type Marker } from "../../../../../src/runtime/oci/run-cache/template.ts";

/** A plan with a few strings, as the plan builder would encode them. */
const plan = (...strs: string[]) => encodePlan(strs.map((s) => ({ type: 0x0101, payload: new Payload().u32(0o755).str(s).bytes() })));

const values: MarkValues = { I: "web", T: "Ab3_-xYz", P: "4242", S: "4241", p: "1234567", s: "1234500", C: "2026-11-30T08:31:46.874Z" };

test("sites are where the stand-ins are, and filling them gives the real plan back", () => {
  const real = plan("/tmp/zoo.Ab3_-xYz/sys", "/sys/fs/cgroup/cpu/zoo-web", "/web/stays");
  const standIn = plan(`/tmp/zoo.${standInToken()}/sys`, `/sys/fs/cgroup/cpu/zoo-${standInId(3)}`, "/web/stays");
  const sites = planSites(real, standIn, "web", "Ab3_-xYz")!;
  expect(sites.map((s) => s.kind)).toEqual([Site.TOKEN, Site.ID]);
  // Offsets into the plan: header, record header, mode, length, then the text.
  expect(sites[0]!.offset).toBe(16 + 8 + 4 + 4 + "/tmp/zoo.".length);
  expect([...fillPlan(standIn, sites, "web", "Ab3_-xYz")]).toEqual([...real]);
  // The same template serves another ID of the same length and another token.
  expect([...fillPlan(standIn, sites, "api", "ZZZZZZZZ")]).toEqual([...plan("/tmp/zoo.ZZZZZZZZ/sys", "/sys/fs/cgroup/cpu/zoo-api", "/web/stays")]);
});

test("two sites side by side are both found", () => {
  const real = plan("/x/webAb3_-xYzweb");
  const standIn = plan(`/x/${standInId(3)}${standInToken()}${standInId(3)}`);
  expect(planSites(real, standIn, "web", "Ab3_-xYz")).toEqual([
    { offset: 16 + 8 + 4 + 4 + 3, kind: Site.ID },
    { offset: 16 + 8 + 4 + 4 + 6, kind: Site.ID + 1 },
    { offset: 16 + 8 + 4 + 4 + 14, kind: Site.ID },
  ]);
});

test("a plan that differs anywhere else, or in length, has no template", () => {
  expect(planSites(plan("/a/web"), plan(`/b/${standInId(3)}`), "web", "Ab3_-xYz")).toBeNull();
  expect(planSites(plan("/a/web"), plan(`/a/${standInId(4)}`), "web", "Ab3_-xYz")).toBeNull();
  // A stand-in run shorter than the ID: the value is not where the ID goes.
  expect(planSites(plan("/a/web"), plan(`/a/w${standInId(2)}`), "web", "Ab3_-xYz")).toBeNull();
  expect(planSites(plan("/a/web"), plan("/a/web"), "web", "short")).toBeNull();
});

test("paths become templates by the per-run paths they are or are below, never by searching for the value", () => {
  const t = new Templater([
    { real: "/run/s/web", template: (m) => `/run/s/${m(Mark.ID)}` },
    { real: "/sys/fs/cgroup/cpu/web/zoo-web", template: (m) => `/sys/fs/cgroup/cpu/web/zoo-${m(Mark.ID)}` },
  ]);
  expect(t.path("/run/s/web")).toBe("/run/s/\x01I");
  expect(t.path("/run/s/web/exec.fifo")).toBe("/run/s/\x01I/exec.fifo");
  expect(t.path("/run/s/webby")).toBe("/run/s/webby");
  // The parent happens to be named like the container: it stays.
  expect(t.path("/sys/fs/cgroup/cpu/web/zoo-web/cgroup.procs")).toBe("/sys/fs/cgroup/cpu/web/zoo-\x01I/cgroup.procs");
  expect(t.path("/web/x")).toBe("/web/x");
  expect(t.path("/run/s/web", (l) => `<${l}>`)).toBe("/run/s/<I>");
});

test("filling markers is what the front door does; another letter is an error", () => {
  expect(fillMarkers("/s/\x01I/\x01T:\x01P:\x01S:\x01p:\x01s:\x01C", values)).toBe("/s/web/Ab3_-xYz:4242:4241:1234567:1234500:2026-11-30T08:31:46.874Z");
  expect(() => fillMarkers("/s/\x01X", values)).toThrow(/bad marker/);
  expect(() => fillMarkers("/s/\x01", values)).toThrow(/bad marker/);
  expect(marker(Mark.ID)).toBe("\x01I");
});

const state = (over: Partial<ContainerState> = {}): ContainerState => ({
  ociVersion: "1.0.2",
  id: "web",
  pid: 4242,
  bundle: "/srv/web",
  rootfs: "/srv/web/rootfs",
  created: "2026-11-30T08:31:46.874Z",
  annotations: { "web": "web \u0007 \"quoted\"" },
  owner: "",
  pidStartTime: "1234567",
  shimPid: 4241,
  shimStartTime: "1234500",
  cgroup: { name: "zoo-web", paths: [{ version: 1, controllers: ["cpu"], mountPoint: "/sys/fs/cgroup/cpu", dir: "/sys/fs/cgroup/cpu/zoo-web" }], createdParents: [] },
  rootMount: "/tmp/zoo.Ab3_-xYz",
  fifo: "/run/s/web/exec.fifo",
  spec: { ociVersion: "1.0.2", hostname: "web", process: { args: ["/bin/web"], cwd: "/" } } as never,
  ...over,
});
const t = new Templater([
  { real: "/run/s/web", template: (m) => `/run/s/${m(Mark.ID)}` },
  { real: "/tmp/zoo.Ab3_-xYz", template: (m) => `/tmp/zoo.${m(Mark.TOKEN)}` },
  { real: "/sys/fs/cgroup/cpu/zoo-web", template: (m) => `/sys/fs/cgroup/cpu/zoo-${m(Mark.ID)}` },
]);
const zooName = (m: Marker) => `zoo-${m(Mark.ID)}`;

test("state.json's template has markers at the per-run fields only, numbers unquoted", () => {
  const json = stateTemplate(state(), t, zooName, values)!;
  expect(json).toStartWith('{"ociVersion":"1.0.2","id":"\x01I","pid":\x01P,"bundle":"/srv/web","rootfs":"/srv/web/rootfs","created":"\x01C",');
  expect(json).toContain('"pidStartTime":"\x01p","shimPid":\x01S,"shimStartTime":"\x01s","cgroup":{"name":"zoo-\x01I","paths":[{"version":1,"controllers":["cpu"],"mountPoint":"/sys/fs/cgroup/cpu","dir":"/sys/fs/cgroup/cpu/zoo-\x01I"}],"createdParents":[]},"rootMount":"/tmp/zoo.\x01T","fifo":"/run/s/\x01I/exec.fifo"');
  // What comes from the config is literal, "web" and escapes included.
  expect(json).toContain('"annotations":{"web":"web \\u0007 \\"quoted\\""}');
  expect(json).toContain('"hostname":"web"');
  expect(fillMarkers(json, values)).toBe(JSON.stringify(state()));
  // Another run's values give that run's state.
  const other = { ...values, I: "api", P: "7" };
  expect(JSON.parse(fillMarkers(json, other))).toMatchObject({ id: "api", pid: 7, fifo: "/run/s/api/exec.fifo", cgroup: { name: "zoo-api" } });
});

test("a state with the placeholder text in it has no template; a 0x01 there is JSON-escaped, not a marker", () => {
  expect(stateTemplate(state({ annotations: { a: "@zoo-run-cache:I@" } }), t, zooName, values)).toBeNull();
  const escaped = stateTemplate(state({ bundle: "/srv/\x01I" }), t, zooName, values)!;
  expect(escaped).toContain('"bundle":"/srv/\\u0001I"');
  expect(fillMarkers(escaped, values)).toBe(JSON.stringify(state({ bundle: "/srv/\x01I" })));
  // A template that does not fill back (a name not from the ID) is refused.
  expect(stateTemplate(state(), t, (m) => `zoo-${m(Mark.TOKEN)}`, values)).toBeNull();
});
