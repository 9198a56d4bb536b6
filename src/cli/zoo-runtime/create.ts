// `zoo-runtime create [-b DIR] [--pid-file F] [--preserve-fds N] [--no-pivot] ID`
import { expectArgs, nonNegativeInt, parseFlags, str } from "./flags.ts";

export interface CreateArgs {
  id: string;
  bundle: string;
  pidFile?: string;
  preserveFds: number;
  consoleSocket?: string;
  noPivot: boolean;
}

export const CREATE_FLAGS = {
  bool: { "no-pivot": "noPivot", "no-new-keyring": "noNewKeyring" },
  value: { bundle: "bundle", b: "bundle", "pid-file": "pidFile", "preserve-fds": "preserveFds", "console-socket": "consoleSocket" },
};

export function createArgsFrom(flags: Record<string, string | true>, args: string[], where: string): CreateArgs {
  // --no-new-keyring is accepted as is: zoo never makes a session keyring, which is what it asks for.
  const [id] = expectArgs(args, ["ID"], where);
  return {
    id: id!,
    bundle: str(flags.bundle) ?? ".",
    pidFile: str(flags.pidFile),
    preserveFds: nonNegativeInt(str(flags.preserveFds), "--preserve-fds", where) ?? 0,
    consoleSocket: str(flags.consoleSocket),
    noPivot: flags.noPivot === true,
  };
}

export function parseCreate(argv: string[]): CreateArgs {
  const { flags, args } = parseFlags(argv, CREATE_FLAGS, "create");
  return createArgsFrom(flags, args, "create");
}
