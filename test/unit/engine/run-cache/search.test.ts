import { describe, expect, test } from "bun:test";
import { Mark, Site } from "../../../../src/plan/replay-ids.ts";
import { markValues, searchPlanSites, templateOf } from "../../../../src/engine/run-cache/search.ts";
import { fillMarkers, fillPlan } from "../../../../src/runtime/oci/run-cache/template.ts";

const id = "3f2a9c0d81b7e6f5a4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070605";
const token = "Ab3_-x9Z";
const enc = (s: string) => new TextEncoder().encode(s);

describe("searchPlanSites", () => {
  test("finds the ID, its short form apart from the ID, and the token", () => {
    const plan = enc(`host=${id.slice(0, 12)};dir=/var/lib/zoo/containers/${id}/upper;root=/tmp/zoo.${token};env=HOSTNAME=${id.slice(0, 12)}`);
    const { sites, template } = searchPlanSites(plan, { id, token })!;
    expect(sites.map((s) => s.kind)).toEqual([Site.ID_SHORT, Site.ID, Site.TOKEN, Site.ID_SHORT]);
    // Another run's values at the same sites give that run's plan.
    const other = "0123456789abcdef".repeat(4);
    const theirs = fillPlan(template, sites, other, "zzzzzzzz");
    expect(new TextDecoder().decode(theirs)).toBe(`host=${other.slice(0, 12)};dir=/var/lib/zoo/containers/${other}/upper;root=/tmp/zoo.zzzzzzzz;env=HOSTNAME=${other.slice(0, 12)}`);
  });

  test("a plan without the ID has no sites, and no token means no token sites", () => {
    expect(searchPlanSites(enc("nothing per run here"), { id, token: "" })?.sites).toEqual([]);
  });
});

describe("templateOf", () => {
  test("marks the ID before its short form, and the token", () => {
    const real = `/var/lib/zoo/containers/${id}/hosts:127.0.1.1\t${id.slice(0, 12)} /tmp/zoo.${token}`;
    const t = templateOf(real, { id, token });
    expect(t).toBe(`/var/lib/zoo/containers/\x01${Mark.ID}/hosts:127.0.1.1\t\x01${Mark.ID_SHORT} /tmp/zoo.\x01${Mark.TOKEN}`);
    expect(fillMarkers(t, markValues({ id, token }))).toBe(real);
  });

  test("refuses a value holding the marker byte", () => {
    expect(() => templateOf("a\x01b", { id, token })).toThrow("0x01");
  });
});
