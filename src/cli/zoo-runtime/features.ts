// `zoo-runtime features`: no arguments.
import { expectArgs, parseFlags } from "./flags.ts";

export function parseFeatures(argv: string[]): void {
  expectArgs(parseFlags(argv, {}, "features").args, [], "features");
}
