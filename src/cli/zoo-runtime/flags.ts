// Flag parsing in the style runc's callers use: `--name value`, `--name=value`,
// single-dash long names (`-bundle`), flags before the positional arguments.
import { UsageError } from "../../util/errors.ts";

export interface FlagTable {
  /** Spelling (without dashes) → key, for flags that take no value. */
  bool?: Record<string, string>;
  /** Spelling (without dashes) → key, for flags that take a value. */
  value?: Record<string, string>;
  /** Spelling (without dashes) → key, for flags that take a value and may repeat (`-e A=1 -e B=2`). */
  list?: Record<string, string>;
}

export interface Parsed {
  flags: Record<string, string | true>;
  /** Values of repeatable flags, in command-line order. */
  lists: Record<string, string[]>;
  args: string[];
}

export function parseFlags(argv: string[], table: FlagTable, where: string): Parsed {
  const flags: Record<string, string | true> = {};
  const lists: Record<string, string[]> = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const boolKey = table.bool?.[name];
    const listKey = table.list?.[name];
    const valueKey = table.value?.[name] ?? listKey;
    if (boolKey) {
      if (eq >= 0 && !["true", "false"].includes(body.slice(eq + 1))) throw new UsageError(`${where}: flag ${a}: want true or false`);
      if (eq < 0 || body.slice(eq + 1) === "true") flags[boolKey] = true;
      else delete flags[boolKey];
    } else if (valueKey) {
      let v: string;
      if (eq >= 0) v = body.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`${where}: flag ${a} needs a value`);
        v = argv[++i]!;
      }
      if (listKey) (lists[listKey] ??= []).push(v);
      else flags[valueKey] = v;
    } else {
      throw new UsageError(`${where}: flag provided but not defined: ${a}`);
    }
  }
  return { flags, lists, args: argv.slice(i) };
}

/** Exactly `n` positional arguments, named in the message when wrong. */
export function expectArgs(args: string[], names: string[], where: string, optional = 0): string[] {
  const min = names.length - optional;
  if (args.length < min || args.length > names.length) {
    const usage = names.map((n, i) => (i >= min ? `[${n}]` : n)).join(" ");
    throw new UsageError(`${where}: expected ${usage}, got ${args.length} argument${args.length === 1 ? "" : "s"}`);
  }
  return args;
}

export const str = (v: string | true | undefined): string | undefined => (typeof v === "string" ? v : undefined);

export function nonNegativeInt(v: string | undefined, flag: string, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 1 << 20) throw new UsageError(`${where}: ${flag} ${JSON.stringify(v)}: want a non-negative integer`);
  return Number(v);
}
