// The rules on a cgroup v1 devices hierarchy: one devices.allow or
// devices.deny write each, in order; the kernel keeps the resulting list.
import { closeSync, constants as fsc, openSync, writeSync } from "node:fs";
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
  // The kernel takes one rule per write(2), so one open fd per file serves them all.
  const fds = new Map<string, number>();
  try {
    for (const [file, line] of v1Writes(rules)) {
      const path = join(dir, file);
      try {
        let fd = fds.get(file);
        if (fd === undefined) fds.set(file, (fd = openSync(path, fsc.O_WRONLY)));
        writeSync(fd, line);
      } catch (e) {
        throw new RuntimeError(`linux.resources.devices: writing "${line}" to ${path}: ${(e as Error).message}`);
      }
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
