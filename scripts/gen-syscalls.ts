/**
 * Generates src/seccomp/tables/{x86_64,aarch64}.ts from the kernel UAPI headers
 * installed on the build machine, so syscall numbers are never typed by hand.
 *
 *   bun scripts/gen-syscalls.ts           # rewrite the tables
 *   bun scripts/gen-syscalls.ts --check   # exit 1 if the checked-in tables are stale
 *
 * The parsing functions are exported so the unit tests can regenerate in
 * memory and compare with the checked-in files.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const X86_64_HEADER = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
export const GENERIC_HEADER = "/usr/include/asm-generic/unistd.h";

/**
 * What arch/arm64/include/uapi/asm/unistd.h defines before it includes the
 * generic table. The arm64 header itself is usually not installed on an x86_64
 * build machine, so its switches are recorded here; they select e.g.
 * renameat (38), getrlimit (163) and the newfstatat/fstat names.
 */
export const AARCH64_DEFINES: ReadonlyMap<string, number> = new Map([
  ["__BITS_PER_LONG", 64],
  ["__ARCH_WANT_RENAMEAT", 1],
  ["__ARCH_WANT_NEW_STAT", 1],
  ["__ARCH_WANT_SET_GET_RLIMIT", 1],
  ["__ARCH_WANT_TIME32_SYSCALLS", 1],
  ["__ARCH_WANT_SYS_CLONE3", 1],
  ["__ARCH_WANT_MEMFD_SECRET", 1],
]);

export type SyscallEntries = ReadonlyArray<readonly [name: string, nr: number]>;

/** unistd_64.h is a flat list of `#define __NR_name number`; anything else is a surprise worth failing on. */
export function parseX86_64(text: string): SyscallEntries {
  const out: [string, number][] = [];
  for (const raw of stripComments(text).split("\n")) {
    const line = raw.trim();
    if (line === "" || /^#(ifndef|endif)\b/.test(line) || /^#define\s+_ASM_\w+\s*$/.test(line)) continue;
    const m = /^#define\s+__NR_(\w+)\s+(\d+)$/.exec(line);
    if (!m) throw new Error(`${X86_64_HEADER}: unexpected line: ${line}`);
    out.push([m[1]!, Number(m[2])]);
  }
  return sortEntries(out);
}

/**
 * The generic table needs a little preprocessor: #if/#ifdef blocks select
 * per-arch variants, and the 64-bit names (fstat, mmap, fcntl...) are aliases
 * of __NR3264_* numbers defined at the bottom of the file. A name counts as a
 * syscall only if its number (directly or through an alias) is the first
 * argument of a __SYSCALL/__SC_* table entry, which drops bookkeeping
 * defines such as __NR_syscalls and __NR_arch_specific_syscall.
 */
export function parseGeneric(text: string, defines: ReadonlyMap<string, number>): SyscallEntries {
  const macros = new Map<string, string>();
  for (const [k, v] of defines) macros.set(k, String(v));
  const withEntry = new Set<string>();
  // Each frame: is this branch active, has any branch of this #if been taken, was the enclosing block active.
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = () => stack.every((f) => f.active);

  const lines = stripComments(text).replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    let m: RegExpExecArray | null;
    if ((m = /^#\s*(ifdef|ifndef|if)\s+(.*)$/.exec(line))) {
      const parent = active();
      const [kind, rest] = [m[1]!, m[2]!.trim()];
      const cond =
        kind === "ifdef" ? macros.has(rest) : kind === "ifndef" ? !macros.has(rest) : evalCondition(rest, macros);
      stack.push({ active: parent && cond, taken: cond, parent });
    } else if ((m = /^#\s*elif\s+(.*)$/.exec(line))) {
      const f = stack.at(-1);
      if (!f) throw new Error(`unbalanced #elif: ${line}`);
      const cond = !f.taken && evalCondition(m[1]!, macros);
      f.active = f.parent && cond;
      f.taken ||= cond;
    } else if (/^#\s*else\b/.test(line)) {
      const f = stack.at(-1);
      if (!f) throw new Error(`unbalanced #else`);
      f.active = f.parent && !f.taken;
      f.taken = true;
    } else if (/^#\s*endif\b/.test(line)) {
      if (!stack.pop()) throw new Error(`unbalanced #endif`);
    } else if (!active()) {
      continue;
    } else if ((m = /^#\s*define\s+(\w+)(\([^)]*\))?\s*(.*)$/.exec(line))) {
      // Function-like macros (__SYSCALL, __SC_3264...) only matter by name.
      if (!m[2]) macros.set(m[1]!, m[3]!.trim());
    } else if ((m = /^#\s*undef\s+(\w+)/.exec(line))) {
      macros.delete(m[1]!);
    } else if (/^#\s*include\b/.test(line)) {
      continue; // only asm/bitsperlong.h, replaced by __BITS_PER_LONG in `defines`
    } else if ((m = /^(__SYSCALL|__SC_\w+)\s*\(\s*(\w+)\s*,/.exec(line))) {
      withEntry.add(m[2]!);
    } else {
      throw new Error(`${GENERIC_HEADER}: unexpected line: ${line}`);
    }
  }
  if (stack.length !== 0) throw new Error(`${GENERIC_HEADER}: unterminated #if`);

  const out: [string, number][] = [];
  for (const [name] of macros) {
    if (!name.startsWith("__NR_")) continue;
    const resolved = resolveNumber(name, macros, withEntry);
    if (resolved !== undefined) out.push([name.slice("__NR_".length), resolved]);
  }
  return sortEntries(out);
}

/** Follows `__NR_x -> __NR3264_y -> 80`; undefined unless some symbol on the way has a table entry. */
function resolveNumber(name: string, macros: ReadonlyMap<string, string>, withEntry: ReadonlySet<string>) {
  let sym = name;
  let hasEntry = false;
  for (let hops = 0; hops < 8; hops++) {
    hasEntry ||= withEntry.has(sym);
    const body = macros.get(sym);
    if (body === undefined) return undefined;
    if (/^\d+$/.test(body)) return hasEntry ? Number(body) : undefined;
    if (!/^__NR\w+$/.test(body)) throw new Error(`cannot resolve ${name}: ${sym} is defined as '${body}'`);
    sym = body;
  }
  throw new Error(`alias loop while resolving ${name}`);
}

/** Evaluates the small subset of C preprocessor expressions the header uses. */
export function evalCondition(expr: string, macros: ReadonlyMap<string, string>): boolean {
  const tokens = expr.match(/defined|\w+|&&|\|\||==|!=|[()!]/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`truncated #if expression: ${expr}`);
    return t;
  };
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected '${t}' in #if expression: ${expr}`);
  };
  const value = (t: string): number => {
    if (/^\d+$/.test(t)) return Number(t);
    const body = macros.get(t);
    return body !== undefined && /^\d+$/.test(body) ? Number(body) : body !== undefined ? 1 : 0;
  };
  const primary = (): number => {
    const t = next();
    if (t === "!") return primary() ? 0 : 1;
    if (t === "(") {
      const v = or();
      expect(")");
      return v;
    }
    if (t === "defined") {
      const paren = peek() === "(";
      if (paren) next();
      const v = macros.has(next()) ? 1 : 0;
      if (paren) expect(")");
      return v;
    }
    return value(t);
  };
  const equality = (): number => {
    let v = primary();
    while (peek() === "==" || peek() === "!=") {
      const op = next();
      const r = primary();
      v = (op === "==") === (v === r) ? 1 : 0;
    }
    return v;
  };
  const and = (): number => {
    let v = equality();
    while (peek() === "&&") {
      next();
      const r = equality();
      v = v && r ? 1 : 0;
    }
    return v;
  };
  const or = (): number => {
    let v = and();
    while (peek() === "||") {
      next();
      const r = and();
      v = v || r ? 1 : 0;
    }
    return v;
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in #if expression: ${expr}`);
  return v !== 0;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, "");
}

function sortEntries(entries: [string, number][]): SyscallEntries {
  const seen = new Set<string>();
  for (const [name] of entries) {
    if (seen.has(name)) throw new Error(`syscall ${name} defined twice`);
    seen.add(name);
  }
  return entries.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function renderTable(constName: string, header: string, entries: SyscallEntries): string {
  const rows = entries.map(([name, nr]) => `  [${JSON.stringify(name)}, ${nr}],`).join("\n");
  return `// GENERATED FILE - do not edit by hand.
// Produced by scripts/gen-syscalls.ts from ${header}
// (the kernel UAPI headers of the build machine). Regenerate with
// \`bun scripts/gen-syscalls.ts\`; test/unit/seccomp/tables.test.ts fails when
// this file no longer matches the installed headers.

/** Syscall name to number (${entries.length} entries). A Map, so names like "constructor" cannot hit Object.prototype. */
export const ${constName}: ReadonlyMap<string, number> = new Map<string, number>([
${rows}
]);
`;
}

export interface GeneratedFile {
  path: string;
  content: string;
}

/** Everything the generator would write, computed in memory. */
export function generateTables(root: string, readText: (path: string) => string = (p) => readFileSync(p, "utf8")): GeneratedFile[] {
  const x86 = parseX86_64(readText(X86_64_HEADER));
  const a64 = parseGeneric(readText(GENERIC_HEADER), AARCH64_DEFINES);
  return [
    { path: join(root, "src/seccomp/tables/x86_64.ts"), content: renderTable("X86_64_SYSCALLS", X86_64_HEADER, x86) },
    {
      path: join(root, "src/seccomp/tables/aarch64.ts"),
      content: renderTable("AARCH64_SYSCALLS", `${GENERIC_HEADER} with arm64's __ARCH_WANT_* switches`, a64),
    },
  ];
}

if (import.meta.main) {
  const root = join(import.meta.dir, "..");
  const check = process.argv.includes("--check");
  let stale = false;
  for (const f of generateTables(root)) {
    let current = "";
    try {
      current = readFileSync(f.path, "utf8");
    } catch {}
    if (current === f.content) continue;
    stale = true;
    if (check) console.error(`stale: ${f.path}`);
    else {
      writeFileSync(f.path, f.content);
      console.log(`wrote ${f.path}`);
    }
  }
  if (check && stale) process.exit(1);
}
