// Range checks shared by the resource planners: each failure is one line
// naming the OCI field (linux.resources.<field>) and what it accepts.
import { CgroupConfigError } from "./errors.ts";

export function checkInt(what: string, v: number | undefined, ok: (n: number) => boolean, rule: string): void {
  if (v === undefined) return;
  if (!Number.isSafeInteger(v) || !ok(v)) throw new CgroupConfigError(`${what} must be ${rule}, got ${JSON.stringify(v)}`);
}

// null counts as absent in lists and objects: some callers serialise unset fields as null.
export function checkList<T>(what: string, v: T[] | undefined | null, each: (x: T, field: string) => void): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw new CgroupConfigError(`${what} must be an array, got ${JSON.stringify(v)}`);
  v.forEach((x, i) => {
    const field = `${what}[${i}]`;
    if (typeof x !== "object" || x === null) throw new CgroupConfigError(`${field} must be an object, got ${JSON.stringify(x)}`);
    each(x, field);
  });
}

export function checkObject(what: string, v: unknown): void {
  if (v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v))) {
    throw new CgroupConfigError(`${what} must be an object, got ${JSON.stringify(v)}`);
  }
}
