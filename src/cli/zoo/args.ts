// Docker-style flag parsing shared by the container subcommands: short and
// long names, `--flag=value`, bundled short booleans (-it), flags before the
// first positional (or anywhere, for commands without a trailing command).
import { UsageError } from "../../util/errors.ts";

export interface FlagSpec {
  /** Flag names → key; value flags take an argument, repeated ones collect into an array. */
  bool?: Record<string, string>;
  value?: Record<string, string>;
  multi?: Record<string, string>;
  /** Stop at the first positional: the rest is a command (exec, run). */
  stopAtPositional?: boolean;
}

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  args: string[];
}

export function parseArgs(cmd: string, argv: string[], spec: FlagSpec): Parsed {
  const flags: Parsed["flags"] = {};
  const args: string[] = [];
  for (const k of Object.values(spec.multi ?? {})) flags[k] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      if (spec.stopAtPositional) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(a);
      continue;
    }
    let name = a;
    let val: string | undefined;
    const eq = a.indexOf("=");
    if (eq > 0) {
      name = a.slice(0, eq);
      val = a.slice(eq + 1);
    }
    // -it: every letter a boolean flag.
    if (!name.startsWith("--") && name.length > 2 && val === undefined && [...name.slice(1)].every((ch) => spec.bool?.[`-${ch}`])) {
      for (const ch of name.slice(1)) flags[spec.bool![`-${ch}`]!] = true;
      continue;
    }
    const b = spec.bool?.[name];
    if (b) {
      flags[b] = val === undefined ? true : val !== "false";
      continue;
    }
    const key = spec.value?.[name] ?? spec.multi?.[name];
    if (!key) throw new UsageError(`${cmd}: unknown flag: ${name} (see zoo ${cmd} --help)`);
    if (val === undefined) {
      if (++i >= argv.length) throw new UsageError(`${cmd}: flag ${name} needs a value`);
      val = argv[i]!;
    }
    if (spec.multi?.[name]) (flags[key] as string[]).push(val);
    else flags[key] = val;
  }
  return { flags, args };
}

/** "--name=value" → ["--name", "value"]; anything else → [arg, undefined]. */
export function splitLong(a: string): [string, string | undefined] {
  const eq = a.indexOf("=");
  return a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
}

export function needArgs(cmd: string, args: string[], min: number, usage: string): void {
  if (args.length < min) throw new UsageError(`"zoo ${cmd}" requires at least ${min} argument${min > 1 ? "s" : ""}: usage: zoo ${usage}`);
}

export function intFlag(cmd: string, name: string, v: unknown, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${cmd}: invalid ${name} "${v}": give a whole number of 0 or more`);
  return n;
}
