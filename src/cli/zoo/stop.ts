// `zoo stop|restart [-t SECONDS] [-s SIGNAL] CONTAINER...`: parsing only.
import { needArgs, intFlag, parseArgs } from "./args.ts";

export function parseStop(cmd: "stop" | "restart", argv: string[]) {
  const { flags, args } = parseArgs(cmd, argv, { value: { "-t": "time", "--time": "time", "--timeout": "time", "-s": "signal", "--signal": "signal" } });
  needArgs(cmd, args, 1, `${cmd} [-t SECONDS] CONTAINER [CONTAINER...]`);
  return { containers: args, timeout: intFlag(cmd, "-t", flags.time, 10), signal: flags.signal as string | undefined };
}
