// test/escape/attack.c, compiled static next to the probe fixtures (removed with them).
import { existsSync } from "node:fs";
import { compileFixture } from "../helpers/env.ts";

let binary: string | null = null;

export function attackBinary(): string {
  if (!binary || !existsSync(binary)) binary = compileFixture("test/escape/attack.c", { static: true });
  return binary;
}
