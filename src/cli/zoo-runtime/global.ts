// zoo-runtime's global flags, which come before the command.
import { UsageError } from "../../util/errors.ts";
import { parseFlags, str } from "./flags.ts";

export interface GlobalOptions {
  root?: string;
  log?: string;
  logFormat: "text" | "json";
  debug: boolean;
  rootless: "auto" | "true" | "false";
  /** cgroupsPath is "slice:prefix:name" and the cgroup is a systemd scope's (runc's --systemd-cgroup). */
  systemdCgroup: boolean;
  version: boolean;
  help: boolean;
  command?: string;
  args: string[];
}

export function parseGlobal(argv: string[]): GlobalOptions {
  const { flags, args } = parseFlags(
    argv,
    {
      bool: { debug: "debug", "systemd-cgroup": "systemdCgroup", version: "version", v: "version", help: "help", h: "help" },
      value: { root: "root", log: "log", "log-format": "logFormat", rootless: "rootless", criu: "criu" },
    },
    "zoo-runtime",
  );
  const logFormat = str(flags.logFormat) ?? "text";
  if (logFormat !== "text" && logFormat !== "json") throw new UsageError(`--log-format ${JSON.stringify(logFormat)}: want text or json`);
  const rootless = str(flags.rootless) ?? "auto";
  if (rootless !== "auto" && rootless !== "true" && rootless !== "false") throw new UsageError(`--rootless ${JSON.stringify(rootless)}: want auto, true or false`);
  return {
    root: str(flags.root),
    log: str(flags.log),
    logFormat,
    debug: flags.debug === true,
    rootless,
    systemdCgroup: flags.systemdCgroup === true,
    version: flags.version === true,
    help: flags.help === true,
    command: args[0],
    args: args.slice(1),
  };
}
