// The handful of filesystem operations the cgroup layer performs, behind an
// interface so unit tests can run against a temp directory that imitates
// cgroupfs (where mkdir has to populate the control files itself).

import * as fs from "node:fs";
import { CgroupWriteError } from "./errors.ts";

export const O_PATH = 0o10000000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;

/** The mode realFs makes cgroup directories with. */
export const CGROUP_DIR_MODE = 0o755;

export interface CgroupFs {
  readFile(path: string): string;
  /** One write(2) of `value` into an existing file (cgroupfs parses each write separately; never create). */
  writeFile(path: string, value: string): void;
  exists(path: string): boolean;
  /** Non-recursive; throws EEXIST when present. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** Names of the subdirectories (child cgroups). */
  listDirs(path: string): string[];
  /** access(2) with W_OK. */
  writable(path: string): boolean;
  /** open(2) with numeric flags, returning the fd. */
  open(path: string, flags: number): number;
}

export const realFs: CgroupFs = {
  readFile: (path) => fs.readFileSync(path, "utf8"),
  writeFile(path, value) {
    const fd = fs.openSync(path, fs.constants.O_WRONLY | O_CLOEXEC);
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
  },
  exists: (path) => fs.existsSync(path),
  mkdir: (path) => fs.mkdirSync(path, { mode: CGROUP_DIR_MODE }),
  rmdir: (path) => fs.rmdirSync(path),
  listDirs: (path) =>
    fs
      .readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name),
  writable(path) {
    try {
      fs.accessSync(path, fs.constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  open: (path, flags) => fs.openSync(path, flags),
};

/** Write one control file, turning the failure into the one-line CgroupWriteError. */
export function writeControl(cfs: CgroupFs, dir: string, file: string, value: string): void {
  try {
    cfs.writeFile(`${dir}/${file}`, value);
  } catch (err) {
    throw new CgroupWriteError(dir, file, value, err);
  }
}

/** Read a control file, or undefined when it does not exist (controller absent, old kernel). */
export function readControl(cfs: CgroupFs, dir: string, file: string): string | undefined {
  try {
    return cfs.readFile(`${dir}/${file}`);
  } catch {
    return undefined;
  }
}

/** Parse a "key value" per line file (memory.events, cpu.stat, memory.oom_control). */
export function parseFlatKeyed(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    out.set(line.slice(0, sp), line.slice(sp + 1).trim());
  }
  return out;
}

/** PIDs listed in a cgroup.procs file; a missing file yields none. */
export function readPids(cfs: CgroupFs, dir: string): number[] {
  const text = readControl(cfs, dir, "cgroup.procs");
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}
