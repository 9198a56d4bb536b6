import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ZooError } from "../util/errors.ts";

/** Where zoo-shim lives: beside the zoo executable when installed or in dist/, native/build in a checkout. */
export function shimPath(): string {
  const candidates = [
    process.env.ZOO_SHIM,
    join(dirname(process.execPath), "zoo-shim"),
    join(dirname(process.execPath), "../lib/zoo/zoo-shim"),
    resolve(import.meta.dir, "../../dist/zoo-shim"),
    resolve(import.meta.dir, "../../native/build/zoo-shim"),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new ZooError("zoo-shim not found: run `npm run build`, or set ZOO_SHIM to its path");
}
