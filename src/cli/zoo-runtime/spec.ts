// `zoo-runtime spec [--rootless] [-b DIR]`
import { expectArgs, parseFlags, str } from "./flags.ts";

export function parseSpec(argv: string[]): { rootless: boolean; bundle: string } {
  const { flags, args } = parseFlags(argv, { bool: { rootless: "rootless" }, value: { bundle: "bundle", b: "bundle" } }, "spec");
  expectArgs(args, [], "spec");
  return { rootless: flags.rootless === true, bundle: str(flags.bundle) ?? "." };
}
