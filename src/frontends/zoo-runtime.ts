// `zoo-runtime`: the runc-compatible CLI. Parsing is in src/cli/zoo-runtime/,
// the lifecycle in src/runtime/oci/. Every failure is one line and exit 1 (an
// exec's 255), as runc's callers expect; with --log it is also written there.
// Each command imports what it needs when it runs: start-up is most of a
// short command's time, and modules (and the node: builtins they pull in,
// such as child_process for hooks) cost milliseconds to load.
import { resolve } from "node:path";
import { VERSION } from "../version.ts";
import { UsageError, ZooError } from "../util/errors.ts";
import { parseGlobal, type GlobalOptions } from "../cli/zoo-runtime/global.ts";
import { RuntimeLog } from "../runtime/oci/log.ts";
import type { Store } from "../runtime/oci/store.ts";
import type * as Lifecycle from "../runtime/oci/lifecycle.ts";
import { writeOut, writeErr } from "../util/stdio.ts";

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
  create [-b DIR] [--console-socket SOCK] [--pid-file F] [--preserve-fds N] [--no-new-keyring] [--no-pivot] ID
  start ID              let a created container run its process
  state ID              print the container's state as JSON
  kill [--all] ID [SIGNAL]
  delete [--force] ID
  run [-b DIR] [--console-socket SOCK] [--pid-file F] [--no-pivot] [-d] ID
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
    return await dispatch(g, argv);
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    log.error(msg);
    writeErr(`zoo-runtime: ${msg}${!(e instanceof ZooError) && process.env.ZOO_DEBUG ? `\n${(e as Error)?.stack}` : ""}\n`);
    // As runc: an exec that fails exits 255, which no command's own exit
    // status can be mistaken for (only a bare `exec` is a usage error, 1).
    return g?.command === "exec" && g.args.length > 0 ? 255 : 1;
  }
}

async function rootDir(g: GlobalOptions): Promise<string> {
  if (g.root) return resolve(g.root);
  const { defaultRoot, inUserNamespace } = await import("../runtime/oci/root-dir.ts");
  return defaultRoot(g.rootless, { euid: process.geteuid!(), inUserNs: inUserNamespace(), env: process.env });
}

async function storeFor(g: GlobalOptions): Promise<Store> {
  const { Store } = await import("../runtime/oci/store.ts");
  return new Store(await rootDir(g));
}

const lifecycle = () => import("../runtime/oci/lifecycle.ts");
const idOnly = async (a: string[], cmd: string) => (await import("../cli/zoo-runtime/start.ts")).parseIdOnly(a, cmd);

const json = (v: unknown) => writeOut(JSON.stringify(v, null, 2) + "\n");

/** `argv`: the arguments after the program name, which the run cache keys on. */
async function dispatch(g: GlobalOptions, argv: string[]): Promise<number> {
  if (g.version || g.command === "version") {
    writeOut(`zoo-runtime version ${VERSION}\nspec: 1.2.0\n`);
    return 0;
  }
  if (g.help || g.command === undefined || g.command === "help") {
    writeOut(HELP);
    return 0;
  }
  const a = g.args;
  if (a[0] === "--help" || a[0] === "-h") {
    writeOut(HELP);
    return 0;
  }
  switch (g.command) {
    case "create": {
      const o = (await import("../cli/zoo-runtime/create.ts")).parseCreate(a);
      await (await import("../runtime/oci/create.ts")).create(await storeFor(g), { ...o, systemdCgroup: g.systemdCgroup });
      return 0;
    }
    case "start": {
      const id = await idOnly(a, "start");
      await (await lifecycle()).start(await storeFor(g), id);
      return 0;
    }
    case "state": {
      const id = await idOnly(a, "state");
      const life = await lifecycle();
      json(life.publicState(await life.state(await storeFor(g), id)));
      return 0;
    }
    case "kill": {
      const k = (await import("../cli/zoo-runtime/kill.ts")).parseKill(a);
      await (await lifecycle()).kill(await storeFor(g), k.id, k.signal, k.all);
      return 0;
    }
    case "delete": {
      const d = (await import("../cli/zoo-runtime/delete.ts")).parseDelete(a);
      await (await lifecycle()).remove(await storeFor(g), d.id, d.force);
      return 0;
    }
    case "run": {
      const o = (await import("../cli/zoo-runtime/run.ts")).parseRun(a);
      return await (await import("../runtime/oci/create.ts")).run(await storeFor(g), { ...o, systemdCgroup: g.systemdCgroup, cache: { argv, debug: g.debug } });
    }
    case "exec": {
      const o = (await import("../cli/zoo-runtime/exec.ts")).parseExec(a);
      return await (await import("../runtime/oci/exec.ts")).exec(await storeFor(g), o);
    }
    case "ps": {
      const p = (await import("../cli/zoo-runtime/ps.ts")).parsePs(a);
      writeOut(await (await import("../runtime/oci/ps.ts")).ps(await storeFor(g), p.id, p.format, p.psArgs));
      return 0;
    }
    case "pause": {
      const id = await idOnly(a, "pause");
      await (await import("../runtime/oci/pause.ts")).pause(await storeFor(g), id);
      return 0;
    }
    case "resume": {
      const id = await idOnly(a, "resume");
      await (await import("../runtime/oci/pause.ts")).resume(await storeFor(g), id);
      return 0;
    }
    case "update": {
      const u = (await import("../cli/zoo-runtime/update.ts")).parseUpdate(a);
      for (const w of await (await import("../runtime/oci/update.ts")).update(await storeFor(g), u)) writeErr(`zoo-runtime: warning: ${w}\n`);
      return 0;
    }
    case "events": {
      const o = (await import("../cli/zoo-runtime/events.ts")).parseEvents(a);
      await (await import("../runtime/oci/events.ts")).events(await storeFor(g), o, (line) => writeOut(line));
      return 0;
    }
    case "list": {
      const o = (await import("../cli/zoo-runtime/list.ts")).parseList(a);
      const life = await lifecycle();
      return printList(o, await life.list(await storeFor(g)), life.publicState);
    }
    case "spec": {
      const s = (await import("../cli/zoo-runtime/spec.ts")).parseSpec(a);
      const { existsSync, writeFileSync } = await import("node:fs");
      const { join } = await import("node:path");
      const file = join(s.bundle, "config.json");
      if (existsSync(file)) throw new UsageError(`File ${file} exists. Remove it first`);
      const { specCommandConfig } = await import("../oci/default-spec.ts");
      writeFileSync(file, JSON.stringify(specCommandConfig({ rootless: s.rootless, uid: process.geteuid!(), gid: process.getegid!() }), null, 2) + "\n");
      return 0;
    }
    case "features":
      (await import("../cli/zoo-runtime/features.ts")).parseFeatures(a);
      json((await import("../oci/features.ts")).features());
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(g.command)} (see zoo-runtime --help)`);
  }
}

function printList(o: { format: "table" | "json"; quiet: boolean }, all: Awaited<ReturnType<typeof Lifecycle.list>>, publicState: typeof Lifecycle.publicState): number {
  if (o.quiet) {
    for (const s of all) writeOut(`${s.id}\n`);
  } else if (o.format === "json") {
    json(all.map(publicState));
  } else {
    const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
    for (const s of all.map(publicState)) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) writeOut(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("").trimEnd() + "\n");
  }
  return 0;
}
