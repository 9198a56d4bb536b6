// The rules on a cgroup v1 devices hierarchy: one devices.allow or
// devices.deny write each, in order; the kernel keeps the resulting list.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RuntimeError } from "../oci/errors.ts";
import { accessLetters, type Rule } from "./rules.ts";

const id = (n: number | null) => (n === null ? "*" : String(n));

/** The writes, in order: [file, line] for devices.allow / devices.deny. */
export function v1Writes(rules: Rule[]): [string, string][] {
  return rules.map((r) => {
    const line = r.type === "a" ? `a *:* ${accessLetters(r.access)}` : `${r.type} ${id(r.major)}:${id(r.minor)} ${accessLetters(r.access)}`;
    return [r.allow ? "devices.allow" : "devices.deny", line];
  });
}

export function writeV1Rules(dir: string, rules: Rule[]): void {
  for (const [file, line] of v1Writes(rules)) {
    try {
      writeFileSync(join(dir, file), line);
    } catch (e) {
      throw new RuntimeError(`linux.resources.devices: writing "${line}" to ${join(dir, file)}: ${(e as Error).message}`);
    }
  }
}
