// Per-run values in a cache entry. The plan is a template with PLAN_SITEs
// found by building it a second time with stand-ins; host-op strings and
// state.json carry markers placed where this run's values are known to be,
// never by searching for the values (an ID of "z" is in many a path).
// Each template is checked by filling it: it must give back what ran.
import { Mark, MARK, REPLAY_SHORT_ID_LEN, REPLAY_TOKEN_LEN, Site, type MarkLetter } from "../../../plan/replay-ids.ts";
import type { ContainerState } from "../store.ts";
import type { PlanSite } from "./entry.ts";

export const ID_STAND_IN = 0x01;
export const TOKEN_STAND_IN = 0x02;
export const standInId = (length: number) => String.fromCharCode(ID_STAND_IN).repeat(length);
export const standInToken = () => String.fromCharCode(TOKEN_STAND_IN).repeat(REPLAY_TOKEN_LEN);

const ascii = new TextEncoder();

/** The plan with this run's ID and token written at `sites`. */
export function fillPlan(template: Uint8Array, sites: PlanSite[], id: string, token: string): Uint8Array {
  const out = template.slice();
  const values = { [Site.ID]: ascii.encode(id), [Site.ID_SHORT]: ascii.encode(id.slice(0, REPLAY_SHORT_ID_LEN)), [Site.TOKEN]: ascii.encode(token) } as Record<number, Uint8Array>;
  for (const s of sites) out.set(values[s.kind]!, s.offset);
  return out;
}

/**
 * Where the plan built with stand-ins differs from the one that ran: runs of
 * 0x01 are the ID, runs of 0x02 the token (none without a token). Null when
 * the two differ in any other way, or the sites do not give back the plan that ran.
 */
export function planSites(real: Uint8Array, standIn: Uint8Array, id: string, token?: string): PlanSite[] | null {
  if (real.length !== standIn.length || (token !== undefined && token.length !== REPLAY_TOKEN_LEN) || id.length === 0) return null;
  const sites: PlanSite[] = [];
  for (let i = 0; i < real.length; ) {
    if (real[i] === standIn[i]) {
      i++;
      continue;
    }
    const b = standIn[i];
    const [kind, len] = b === ID_STAND_IN ? [Site.ID, id.length] : b === TOKEN_STAND_IN && token !== undefined ? [Site.TOKEN, REPLAY_TOKEN_LEN] : [0, 0];
    if (kind === 0 || i + len > real.length) return null;
    for (let j = i; j < i + len; j++) if (standIn[j] !== b) return null;
    sites.push({ offset: i, kind });
    i += len;
  }
  const filled = fillPlan(standIn, sites, id, token ?? "");
  return filled.length === real.length && filled.every((b, i) => b === real[i]) ? sites : null;
}

/** Writes a marker: byte 0x01 and the letter in host ops, placeholder text inside JSON. */
export type Marker = (letter: MarkLetter) => string;
export const marker: Marker = (l) => String.fromCharCode(MARK) + l;

/** A path that depends on this run, and its template. */
export interface PerRunPath {
  real: string;
  template: (m: Marker) => string;
}

/** Turns paths into templates by the per-run paths they are, or are below. */
export class Templater {
  constructor(private readonly known: PerRunPath[]) {}

  path(s: string, m: Marker = marker): string {
    let best: PerRunPath | undefined;
    for (const k of this.known) {
      if ((s === k.real || s.startsWith(k.real + "/")) && (!best || k.real.length > best.real.length)) best = k;
    }
    return best ? best.template(m) + s.slice(best.real.length) : s;
  }
}

export type MarkValues = Partial<Record<MarkLetter, string>>;

/** What the front door does with a template: each marker replaced by its value; another byte after 0x01 is an error. */
export function fillMarkers(template: string, values: MarkValues): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template.charCodeAt(i);
    if (c !== MARK) {
      out += template[i];
      continue;
    }
    const v = values[template[i + 1] as MarkLetter];
    if (v === undefined) throw new Error(`bad marker at ${i} in ${JSON.stringify(template)}`);
    out += v;
    i++;
  }
  return out;
}

const PLACEHOLDER = "@zoo-run-cache:";
/** Text a per-run value is serialized as before it becomes a marker (JSON.stringify would escape 0x01). */
export const placeholder: Marker = (l) => `${PLACEHOLDER}${l}@`;
const NUMBERS: readonly MarkLetter[] = [Mark.PID, Mark.SHIM_PID];

/**
 * state.json as a template. The state is serialized with placeholder text
 * where the per-run values go (JSON.stringify would escape a 0x01 byte),
 * which then becomes markers; numbers lose their placeholder's quotes.
 * Null when the state contains the placeholder text itself, a value the
 * front door could not write the same way, or the template does not fill
 * back to the state that was written.
 */
export function stateTemplate(s: ContainerState, t: Templater, cgroupName: (m: Marker) => string, values: MarkValues): string | null {
  const real = JSON.stringify(s);
  if (real.includes(PLACEHOLDER) || real.includes(String.fromCharCode(MARK))) return null;
  const path = (p: string | null) => (p === null ? null : t.path(p, placeholder));
  const copy = {
    ...s,
    id: placeholder(Mark.ID),
    pid: placeholder(Mark.PID),
    created: placeholder(Mark.CREATED),
    pidStartTime: placeholder(Mark.PID_START),
    shimPid: placeholder(Mark.SHIM_PID),
    shimStartTime: placeholder(Mark.SHIM_START),
    cgroup: s.cgroup && { ...s.cgroup, name: cgroupName(placeholder), paths: s.cgroup.paths.map((p) => ({ ...p, dir: path(p.dir)! })) },
    rootMount: path(s.rootMount),
    fifo: path(s.fifo)!,
  };
  const json = placeholdersToMarkers(JSON.stringify(copy), NUMBERS);
  return fillMarkers(json, values) === real ? json : null;
}

/** JSON with placeholders at its per-run values, as a template: those of `numbers` lose their quotes, then each becomes its marker. */
export function placeholdersToMarkers(json: string, numbers: readonly MarkLetter[]): string {
  for (const l of numbers) json = json.replaceAll(`"${placeholder(l)}"`, marker(l));
  for (const l of Object.values(Mark)) json = json.replaceAll(placeholder(l), marker(l));
  return json;
}
