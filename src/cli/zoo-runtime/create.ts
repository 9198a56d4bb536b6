// `zoo-runtime create [-b DIR] [--pid-file F] [--preserve-fds N] ID`
import { UsageError } from "../../util/errors.ts";
import { expectArgs, nonNegativeInt, parseFlags, str } from "./flags.ts";

export interface CreateArgs {
  id: string;
  bundle: string;
  pidFile?: string;
  preserveFds: number;
  consoleSocket?: string;
}

export const CREATE_FLAGS = {
  bool: { "no-pivot": "noPivot", "no-new-keyring": "noNewKeyring" },
  value: { bundle: "bundle", b: "bundle", "pid-file": "pidFile", "preserve-fds": "preserveFds", "console-socket": "consoleSocket" },
};

export function createArgsFrom(flags: Record<string, string | true>, args: string[], where: string): CreateArgs {
  // pivot_root is the only way zoo enters the rootfs; the MS_MOVE+chroot fallback does not exist.
  if (flags.noPivot) throw new UsageError(`${where}: --no-pivot is not supported (zoo always uses pivot_root)`);
  // --no-new-keyring is accepted as is: zoo never makes a session keyring, which is what it asks for.
  const [id] = expectArgs(args, ["ID"], where);
  return {
    id: id!,
    bundle: str(flags.bundle) ?? ".",
    pidFile: str(flags.pidFile),
    preserveFds: nonNegativeInt(str(flags.preserveFds), "--preserve-fds", where) ?? 0,
    consoleSocket: str(flags.consoleSocket),
  };
}

export function parseCreate(argv: string[]): CreateArgs {
  const { flags, args } = parseFlags(argv, CREATE_FLAGS, "create");
  return createArgsFrom(flags, args, "create");
}
