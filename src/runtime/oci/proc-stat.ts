// Is a recorded pid still the process we started? Pids are recycled, so the
// start time from /proc/<pid>/stat is recorded with it and compared.
import { readFileSync } from "node:fs";

export interface ProcInfo {
  state: string;
  startTime: string;
}

export function procInfo(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm may contain spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return null;
  return { state, startTime };
}

/** Alive and the same process: not gone, not a zombie, same start time. */
export function isAlive(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const p = procInfo(pid);
  return p !== null && p.startTime === startTime && p.state !== "Z" && p.state !== "X";
}
