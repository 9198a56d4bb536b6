// `zoo-runtime run [-b DIR] [--pid-file F] [-d] ID`: create + start.
import { parseFlags } from "./flags.ts";
import { CREATE_FLAGS, createArgsFrom, type CreateArgs } from "./create.ts";

export function parseRun(argv: string[]): CreateArgs & { detach: boolean } {
  const { flags, args } = parseFlags(argv, { bool: { ...CREATE_FLAGS.bool, detach: "detach", d: "detach" }, value: CREATE_FLAGS.value }, "run");
  return { ...createArgsFrom(flags, args, "run"), detach: flags.detach === true };
}
