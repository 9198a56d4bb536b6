// test/escape/attack.c, compiled static once per run next to the probe fixtures.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/env.ts";

let binary: string | null = null;

export function attackBinary(): string {
  if (binary) return binary;
  const out = join(mkdtempSync("/var/tmp/zoo-attack-"), "attack");
  const r = Bun.spawnSync(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out, join(REPO, "test/escape/attack.c")]);
  if (r.exitCode !== 0) throw new Error(`compiling attack.c failed: ${r.stderr}`);
  return (binary = out);
}
