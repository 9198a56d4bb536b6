// `zoo exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND...`: parsing only.
import type { ExecOptions } from "../../engine/containers/exec.ts";
import { needArgs, parseArgs } from "./args.ts";

export function parseExecArgs(argv: string[]): ExecOptions {
  const { flags, args } = parseArgs("exec", argv, {
    bool: { "-d": "detach", "--detach": "detach", "-i": "interactive", "--interactive": "interactive", "-t": "tty", "--tty": "tty", "--privileged": "privileged" },
    value: { "-u": "user", "--user": "user", "-w": "workdir", "--workdir": "workdir" },
    multi: { "-e": "env", "--env": "env" },
    stopAtPositional: true,
  });
  needArgs("exec", args, 2, "exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  return {
    container: args[0]!,
    command: args.slice(1),
    detach: !!flags.detach,
    interactive: !!flags.interactive,
    tty: !!flags.tty,
    env: flags.env as string[],
    user: flags.user as string | undefined,
    workdir: flags.workdir as string | undefined,
  };
}
