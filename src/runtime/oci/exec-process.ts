// The process `exec` runs: the container's own process settings (or a
// --process JSON) with the command-line overrides applied, as runc does.
// Pure; the one-line errors name the field that is wrong.
import { isAbsolute } from "node:path";
import type { ExecArgs } from "../../cli/zoo-runtime/exec.ts";
import { capBit } from "../../oci/caps.ts";
import type { Capabilities, Process } from "../../oci/spec.ts";
import { RLIMIT } from "../../sys/constants.ts";
import { RuntimeError } from "./errors.ts";

const fail = (field: string, why: string): never => {
  throw new RuntimeError(`--process: ${field}: ${why}`);
};
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const uint = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");

/** A --process JSON document → Process, refusing what zoo cannot honour. */
export function parseProcessJson(text: string): Partial<Process> & Pick<Process, "args" | "cwd" | "user"> {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError(`--process: invalid JSON: ${(e as Error).message}`);
  }
  if (!isObj(p)) return fail("process", "must be a JSON object");
  if (p.terminal !== undefined && typeof p.terminal !== "boolean") fail("terminal", "must be true or false");
  if (!strings(p.args) || (p.args as string[]).length === 0 || (p.args as string[])[0] === "") fail("args", "must be a non-empty array of strings");
  if (typeof p.cwd !== "string" || !isAbsolute(p.cwd)) fail("cwd", `must be an absolute path, got ${JSON.stringify(p.cwd)}`);
  if (p.env !== undefined && !strings(p.env)) fail("env", "must be an array of strings");
  const user = p.user === undefined ? { uid: 0, gid: 0 } : p.user;
  if (!isObj(user) || !uint(user.uid) || !uint(user.gid)) fail("user", "must be {\"uid\": N, \"gid\": N}");
  const u = user as Record<string, unknown>;
  if (u.additionalGids !== undefined && !(Array.isArray(u.additionalGids) && u.additionalGids.every(uint))) fail("user.additionalGids", "must be an array of ids");
  if (u.umask !== undefined && !(uint(u.umask) && (u.umask as number) <= 0o7777)) fail("user.umask", "must be 0..07777");
  if (p.capabilities !== undefined) {
    if (!isObj(p.capabilities)) fail("capabilities", "must be an object");
    for (const [set, names] of Object.entries(p.capabilities as object)) {
      if (!strings(names)) fail(`capabilities.${set}`, "must be an array of strings");
      for (const n of names as string[]) if (capBit(n) === undefined) fail(`capabilities.${set}`, `unknown capability ${JSON.stringify(n)}`);
    }
  }
  if (p.rlimits !== undefined) {
    if (!Array.isArray(p.rlimits)) fail("rlimits", "must be an array");
    (p.rlimits as unknown[]).forEach((r, i) => {
      if (!isObj(r) || typeof r.type !== "string" || RLIMIT[r.type] === undefined) fail(`rlimits[${i}].type`, "unknown rlimit type");
    });
  }
  if (p.apparmorProfile) fail("apparmorProfile", "AppArmor is not supported");
  if (p.oomScoreAdj !== undefined && !(Number.isInteger(p.oomScoreAdj) && Math.abs(p.oomScoreAdj as number) <= 1000)) fail("oomScoreAdj", "must be an integer from -1000 to 1000");
  // selinuxLabel is ignored like --process-label. A missing user is root, as Go's zero value is for runc.
  return { ...p, user } as never;
}

/**
 * runc's rules: a --process document replaces the container's process, with
 * capabilities, rlimits and no_new_privs taken from the container when it
 * leaves them out; otherwise the container's process with COMMAND as args and
 * --env appended. The flags then apply on top of either.
 */
export function execProcess(container: Process, a: ExecArgs, fromFile?: ReturnType<typeof parseProcessJson>): Process {
  const base: Process = fromFile
    ? {
        ...fromFile,
        env: fromFile.env ?? [],
        capabilities: fromFile.capabilities ?? container.capabilities,
        rlimits: fromFile.rlimits ?? container.rlimits,
        noNewPrivileges: fromFile.noNewPrivileges ?? container.noNewPrivileges,
        terminal: fromFile.terminal === true || a.tty,
      }
    : { ...container, args: a.args, terminal: a.tty };
  const user = { ...base.user };
  if (a.user) {
    user.uid = a.user.uid;
    if (a.user.gid !== undefined) user.gid = a.user.gid;
  }
  if (a.additionalGids.length) user.additionalGids = [...(user.additionalGids ?? []), ...a.additionalGids];
  let capabilities: Capabilities | undefined = base.capabilities;
  if (a.caps.length) {
    const c: Capabilities = { ...(capabilities ?? {}) };
    const add = (set: string[] | undefined) => [...new Set([...(set ?? []), ...a.caps])];
    c.bounding = add(c.bounding);
    c.effective = add(c.effective);
    c.permitted = add(c.permitted);
    // The kernel refuses an ambient capability that is not inheritable; runc
    // adds to ambient only when the process has inheritable ones at all.
    if (c.inheritable?.length) {
      c.inheritable = add(c.inheritable);
      c.ambient = add(c.ambient);
    }
    capabilities = c;
  }
  return {
    ...base,
    user,
    cwd: a.cwd ?? base.cwd,
    env: [...(base.env ?? []), ...a.env],
    capabilities,
    noNewPrivileges: a.noNewPrivs || base.noNewPrivileges,
  };
}
