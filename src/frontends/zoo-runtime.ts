// `zoo-runtime`: the runc-compatible CLI. Parsing is in src/cli/zoo-runtime/,
// the lifecycle in src/runtime/oci/. Every failure is one line and exit 1 (an
// exec's 255), as runc's callers expect; with --log it is also written there.
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { VERSION } from "../version.ts";
import { UsageError, ZooError } from "../util/errors.ts";
import { parseGlobal, type GlobalOptions } from "../cli/zoo-runtime/global.ts";
import { parseCreate } from "../cli/zoo-runtime/create.ts";
import { parseRun } from "../cli/zoo-runtime/run.ts";
import { parseIdOnly } from "../cli/zoo-runtime/start.ts";
import { parseKill } from "../cli/zoo-runtime/kill.ts";
import { parseDelete } from "../cli/zoo-runtime/delete.ts";
import { parseList } from "../cli/zoo-runtime/list.ts";
import { parseSpec } from "../cli/zoo-runtime/spec.ts";
import { parseFeatures } from "../cli/zoo-runtime/features.ts";
import { parseExec } from "../cli/zoo-runtime/exec.ts";
import { parsePs } from "../cli/zoo-runtime/ps.ts";
import { parseUpdate } from "../cli/zoo-runtime/update.ts";
import { parseEvents } from "../cli/zoo-runtime/events.ts";
import { RuntimeLog } from "../runtime/oci/log.ts";
import { Store } from "../runtime/oci/store.ts";
import * as life from "../runtime/oci/lifecycle.ts";
import { exec } from "../runtime/oci/exec.ts";
import { ps } from "../runtime/oci/ps.ts";
import { pause, resume } from "../runtime/oci/pause.ts";
import { update } from "../runtime/oci/update.ts";
import { events } from "../runtime/oci/events.ts";
import { specCommandConfig } from "../oci/default-spec.ts";
import { defaultRoot, inUserNamespace } from "../runtime/oci/root-dir.ts";
import { features } from "../oci/features.ts";

const HELP = `Usage: zoo-runtime [GLOBAL FLAGS] COMMAND [ARGS...]

Global flags:
  --root DIR            state directory (default /run/zoo-runtime; rootless: $XDG_RUNTIME_DIR/zoo-runtime)
  --log FILE            also write errors (and --debug messages) to FILE
  --log-format text|json
  --debug               debug messages
  --rootless auto|true|false
  --systemd-cgroup      cgroupsPath is "slice:prefix:name": the container gets a
                        delegated systemd scope prefix-name.scope (default slice zoo.slice)
  --version, --help

Commands:
  create [-b DIR] [--console-socket SOCK] [--pid-file F] [--preserve-fds N] [--no-new-keyring] ID
  start ID              let a created container run its process
  state ID              print the container's state as JSON
  kill [--all] ID [SIGNAL]
  delete [--force] ID
  run [-b DIR] [--console-socket SOCK] [--pid-file F] [-d] ID
  exec [-d] [--pid-file F] [--cwd D] [-e K=V]... [-u UID[:GID]] [--additional-gids G]... [--cap C]...
       [--no-new-privs] [--preserve-fds N] [--ignore-paused] ID COMMAND [ARG...]
  exec --process FILE|- [the flags above] ID
                        a new process in a running container (no --tty yet)
  ps [--format table|json] ID [PS ARGS...]
  pause ID / resume ID  freeze / thaw every process of the container
  update [-r FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--cpu-shares N]
         [--cpu-quota N] [--cpu-period N] [--cpuset-cpus S] [--cpuset-mems S] [--pids-limit N]
         [--blkio-weight N] [--cpu-rt-period N] [--cpu-rt-runtime N] [--kernel-memory N]
         [--kernel-memory-tcp N] ID     -r takes any OCI linux.resources JSON
  events [--stats] [--interval D] ID
                        one stats object, or stats every D (default 5s) and oom events until it stops
  list [--format table|json] [--quiet]
  spec [--rootless] [-b DIR]
  features
`;

export async function zooRuntimeMain(argv: string[]): Promise<number> {
  let log = new RuntimeLog(undefined, "text", false);
  let g: GlobalOptions | undefined;
  try {
    g = parseGlobal(argv);
    log = new RuntimeLog(g.log, g.logFormat, g.debug);
    log.debug(`zoo-runtime ${argv.join(" ")}`);
    return await dispatch(g);
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    log.error(msg);
    process.stderr.write(`zoo-runtime: ${msg}${!(e instanceof ZooError) && process.env.ZOO_DEBUG ? `\n${(e as Error)?.stack}` : ""}\n`);
    // As runc: an exec that fails exits 255, which no command's own exit
    // status can be mistaken for (only a bare `exec` is a usage error, 1).
    return g?.command === "exec" && g.args.length > 0 ? 255 : 1;
  }
}

function rootDir(g: GlobalOptions): string {
  if (g.root) return resolve(g.root);
  return defaultRoot(g.rootless, { euid: process.geteuid!(), inUserNs: inUserNamespace(), env: process.env });
}

const json = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + "\n");

async function dispatch(g: GlobalOptions): Promise<number> {
  if (g.version || g.command === "version") {
    process.stdout.write(`zoo-runtime version ${VERSION}\nspec: 1.2.0\n`);
    return 0;
  }
  if (g.help || g.command === undefined || g.command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const a = g.args;
  if (a[0] === "--help" || a[0] === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  switch (g.command) {
    case "create": {
      await life.create(new Store(rootDir(g)), { ...parseCreate(a), systemdCgroup: g.systemdCgroup });
      return 0;
    }
    case "start":
      await life.start(new Store(rootDir(g)), parseIdOnly(a, "start"));
      return 0;
    case "state":
      json(life.publicState(await life.state(new Store(rootDir(g)), parseIdOnly(a, "state"))));
      return 0;
    case "kill": {
      const k = parseKill(a);
      await life.kill(new Store(rootDir(g)), k.id, k.signal, k.all);
      return 0;
    }
    case "delete": {
      const d = parseDelete(a);
      await life.remove(new Store(rootDir(g)), d.id, d.force);
      return 0;
    }
    case "run":
      return await life.run(new Store(rootDir(g)), { ...parseRun(a), systemdCgroup: g.systemdCgroup });
    case "exec":
      return await exec(new Store(rootDir(g)), parseExec(a));
    case "ps": {
      const p = parsePs(a);
      process.stdout.write(await ps(new Store(rootDir(g)), p.id, p.format, p.psArgs));
      return 0;
    }
    case "pause":
      await pause(new Store(rootDir(g)), parseIdOnly(a, "pause"));
      return 0;
    case "resume":
      await resume(new Store(rootDir(g)), parseIdOnly(a, "resume"));
      return 0;
    case "update":
      for (const w of await update(new Store(rootDir(g)), parseUpdate(a))) process.stderr.write(`zoo-runtime: warning: ${w}\n`);
      return 0;
    case "events":
      await events(new Store(rootDir(g)), parseEvents(a), (line) => process.stdout.write(line));
      return 0;
    case "list":
      return printList(parseList(a), await life.list(new Store(rootDir(g))));
    case "spec": {
      const s = parseSpec(a);
      const file = join(s.bundle, "config.json");
      if (existsSync(file)) throw new UsageError(`File ${file} exists. Remove it first`);
      writeFileSync(file, JSON.stringify(specCommandConfig({ rootless: s.rootless, uid: process.geteuid!(), gid: process.getegid!() }), null, 2) + "\n");
      return 0;
    }
    case "features":
      parseFeatures(a);
      json(features());
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(g.command)} (see zoo-runtime --help)`);
  }
}

function printList(o: { format: "table" | "json"; quiet: boolean }, all: Awaited<ReturnType<typeof life.list>>): number {
  if (o.quiet) {
    for (const s of all) process.stdout.write(`${s.id}\n`);
  } else if (o.format === "json") {
    json(all.map(life.publicState));
  } else {
    const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
    for (const s of all.map(life.publicState)) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("").trimEnd() + "\n");
  }
  return 0;
}
