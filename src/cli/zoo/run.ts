// `zoo run [flags] IMAGE [CMD...]`: parsing only.
import { availableParallelism } from "node:os";
import { UsageError } from "../../util/errors.ts";
import { parseMemory, parsePositiveInt } from "../units.ts";

export interface RunFlags {
  rm: boolean;
  name?: string;
  env: string[];
  workdir?: string;
  hostname?: string;
  memory?: number;
  cpus?: number;
  pidsLimit?: number;
  image: string;
  command: string[];
}

const VALUE_FLAGS: Record<string, keyof RunFlags | "env"> = {
  "-e": "env", "--env": "env", "-w": "workdir", "--workdir": "workdir", "-h": "hostname", "--hostname": "hostname",
  "-m": "memory", "--memory": "memory", "--cpus": "cpus", "--pids-limit": "pidsLimit", "--name": "name",
};

export function parseRunArgs(argv: string[]): RunFlags {
  const f: RunFlags = { rm: false, env: [], image: "", command: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    if (a === "--rm") {
      f.rm = true;
      continue;
    }
    let val: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const key = VALUE_FLAGS[a];
    if (!key) throw new UsageError(`run: unknown flag ${a} (see zoo run --help)`);
    if (val === undefined) {
      if (++i >= argv.length) throw new UsageError(`run: flag ${a} needs a value`);
      val = argv[i]!;
    }
    setFlag(f, key, a, val);
  }
  const image = argv[i];
  if (!image) throw new UsageError("run: no image given: zoo run [flags] IMAGE [COMMAND...] (try: zoo run --rm busybox echo hello)");
  f.image = image;
  f.command = argv.slice(i + 1);
  return f;
}

function setFlag(f: RunFlags, key: string, flag: string, val: string) {
  switch (key) {
    case "env":
      f.env.push(val);
      return;
    case "memory":
      f.memory = parseMemory(val, flag);
      return;
    case "cpus": {
      const n = Number(val);
      if (!(n > 0) || n > availableParallelism()) throw new UsageError(`run: invalid ${flag} "${val}": give a number of CPUs above 0, at most ${availableParallelism()}`);
      f.cpus = n;
      return;
    }
    case "pidsLimit":
      f.pidsLimit = parsePositiveInt(val, flag, "pids");
      return;
    case "workdir":
      if (!val.startsWith("/")) throw new UsageError(`run: ${flag} "${val}" must be an absolute path`);
      f.workdir = val;
      return;
    case "hostname":
      f.hostname = val;
      return;
    case "name":
      f.name = val;
      return;
  }
}
