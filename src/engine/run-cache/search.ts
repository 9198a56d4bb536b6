// Per-run values in a `zoo run` entry, found by search. zoo-runtime's IDs
// are the user's and may be short ("a" is in many a path), so its templates
// mark values where they are known to be; a `zoo run` ID is 256 random bits,
// its first 12 characters 48, and the root mount's token 48: where their text
// appears, it is theirs. Every template is still checked by filling it back.
import { MARK, Mark, REPLAY_SHORT_ID_LEN, Site } from "../../plan/replay-ids.ts";
import type { PlanSite } from "../../runtime/oci/run-cache/entry.ts";
import { fillMarkers, fillPlan, type MarkValues } from "../../runtime/oci/run-cache/template.ts";

export interface RunValues {
  id: string;
  /** The root mount point's token, or "" without one. */
  token: string;
}

const ascii = new TextEncoder();

/** Where `needle` starts in `hay`, occurrences not overlapping. */
export function occurrences(hay: Uint8Array, needle: Uint8Array): number[] {
  const out: number[] = [];
  if (needle.length === 0) return out;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    out.push(i);
    i += needle.length - 1;
  }
  return out;
}

/**
 * The plan's sites (the ID, then its short form where it is not part of the
 * ID, then the token) and the plan with them blanked, which the entry holds.
 * Null if filling the sites does not give the plan back.
 */
export function searchPlanSites(plan: Uint8Array, v: RunValues): { sites: PlanSite[]; template: Uint8Array } | null {
  const taken = new Uint8Array(plan.length);
  const sites: PlanSite[] = [];
  const claim = (text: string, kind: number) => {
    for (const at of occurrences(plan, ascii.encode(text))) {
      if (taken.subarray(at, at + text.length).some((b) => b !== 0)) continue;
      taken.fill(1, at, at + text.length);
      sites.push({ offset: at, kind });
    }
  };
  claim(v.id, Site.ID);
  claim(v.id.slice(0, REPLAY_SHORT_ID_LEN), Site.ID_SHORT);
  if (v.token) claim(v.token, Site.TOKEN);
  sites.sort((a, b) => a.offset - b.offset);
  const template = plan.slice();
  for (const s of sites) template.fill(0, s.offset, s.offset + siteLength(s.kind, v));
  const filled = fillPlan(template, sites, v.id, v.token);
  return filled.every((b, i) => b === plan[i]) ? { sites, template } : null;
}

export const siteLength = (kind: number, v: RunValues) => (kind === Site.ID ? v.id.length : kind === Site.ID_SHORT ? REPLAY_SHORT_ID_LEN : v.token.length);

export const markValues = (v: RunValues): MarkValues => ({ [Mark.ID]: v.id, [Mark.ID_SHORT]: v.id.slice(0, REPLAY_SHORT_ID_LEN), [Mark.TOKEN]: v.token });

/** A host-op string with this run's values as markers; throws when it holds byte 0x01 or does not fill back. */
export function templateOf(real: string, v: RunValues): string {
  if (real.includes(String.fromCharCode(MARK))) throw new Error(`byte 0x01 in ${JSON.stringify(real)}`);
  const m = (l: string) => String.fromCharCode(MARK) + l;
  let t = real.replaceAll(v.id, m(Mark.ID)).replaceAll(v.id.slice(0, REPLAY_SHORT_ID_LEN), m(Mark.ID_SHORT));
  if (v.token) t = t.replaceAll(v.token, m(Mark.TOKEN));
  if (fillMarkers(t, markValues(v)) !== real) throw new Error(`cannot make a template of ${JSON.stringify(real)}`);
  return t;
}
