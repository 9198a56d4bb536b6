// The pieces of Docker's output formats zoo reproduces: the common forms of
// Go-template `--format` strings ({{.Field}}, {{.A.B}}, {{json .X}}), tables,
// and "2 minutes ago" durations.
import { ZooError } from "../../util/errors.ts";

function lookup(data: unknown, path: string): unknown {
  if (path === ".") return data;
  let v: unknown = data;
  for (const k of path.replace(/^\./, "").split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const show = (v: unknown): string => {
  if (v === undefined || v === null) return "<no value>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") return `map[${Object.entries(v as object).map(([k, x]) => `${k}:${show(x)}`).join(" ")}]`;
  return String(v);
};

/** Renders a template such as '{{.Names}}\t{{.Status}}' or '{{json .State}}' against `data`. */
export function renderTemplate(tpl: string, data: unknown): string {
  const text = tpl.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  return text.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    const words = expr.split(/\s+/);
    if (words[0] === "json" && words.length === 2) return JSON.stringify(lookup(data, words[1]!) ?? null);
    if ((words[0] === "upper" || words[0] === "lower") && words.length === 2) {
      const s = show(lookup(data, words[1]!));
      return words[0] === "upper" ? s.toUpperCase() : s.toLowerCase();
    }
    if (words.length === 1 && words[0]!.startsWith(".")) return show(lookup(data, words[0]!));
    throw new ZooError(`template: unsupported expression "{{${expr}}}": zoo knows {{.Field}}, {{.A.B}}, {{json .X}}, {{upper .X}}, {{lower .X}}`);
  });
}

/** Docker's go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** Left-aligned columns three spaces apart, as Docker's tables. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(w[c]! + 3))).join("").trimEnd() + "\n").join("");
}
