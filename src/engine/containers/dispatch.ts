// The container subcommands of `zoo` (Docker's names), dispatched from
// src/frontends/zoo.ts; `zoo container X` is the same as `zoo X`.
import { UsageError } from "../../util/errors.ts";
import { writeOut, writeErr } from "../../util/stdio.ts";

export const CONTAINER_HELP = `
Containers (Docker's flags and formats; CONTAINER is a name, an id or a unique id prefix):
  run -d [-i] [--init] [--restart no|on-failure[:N]|always|unless-stopped]
      [--log-opt max-size=SIZE] [--log-opt max-file=N]
      [--health-cmd CMD] [--health-interval D] [--health-retries N] [--health-timeout D] [--health-start-period D]
      [run flags] IMAGE [CMD...]
               start a container in the background under its monitor, print its id
  create [run flags] IMAGE [CMD...]   a container that is not started yet
  start [-a] C...      stop [-t SECS] C...      restart [-t SECS] C...
  kill [-s SIG] C...   rm [-f] C...             wait C...
  ps [-a] [-q] [-l] [--no-trunc] [--filter name=|id=|status=|exited=|ancestor=] [--format TPL]
  run -it IMAGE [CMD...] | attach C   a terminal held by the monitor; detach with Ctrl-P Ctrl-Q
  logs [-f] [--tail N] [--since T] [--until T] [-t] C
  exec [-d] [-i] [-t] [-e K=V] [-u USER[:GROUP]] [-w DIR] C CMD...
  inspect [-f TPL] C...   top C [ps opts]   port C [PORT]   rename C NAME
  pause C...   unpause C...   container prune
  stats [--no-stream] [-a] [--format TPL] [C...]
  cp C:SRC DEST | SRC C:DEST     (running containers)
  system prune [-f] | system df | info
`;

type Handler = (argv: string[]) => Promise<number>;

const each = async (names: string[], fn: (n: string) => Promise<unknown>, echo = true): Promise<number> => {
  let code = 0;
  for (const n of names) {
    try {
      await fn(n);
      if (echo) writeOut(`${n}\n`);
    } catch (e) {
      // Docker goes on with the other containers and fails at the end.
      writeErr(`zoo: ${(e as Error).message}\n`);
      code = 1;
    }
  }
  return code;
};

const life = () => import("./lifecycle.ts");
const show = () => import("./show.ts");

const HANDLERS: Record<string, Handler> = {
  async create(argv) {
    const f = (await import("../../cli/zoo/run.ts")).parseRunArgs(argv);
    const { id } = await (await import("./create.ts")).createContainer(f);
    writeOut(`${id}\n`);
    return 0;
  },
  async start(argv) {
    const o = (await import("../../cli/zoo/start.ts")).parseStart(argv);
    const cs = (await show()).containers();
    const l = await life();
    if (!o.attach) return each(o.containers, (n) => l.start(cs, n));
    if (o.containers.length !== 1) throw new UsageError("start: you cannot start and attach multiple containers at once");
    const id = cs.resolve(o.containers[0]!);
    if (cs.config(id).flags.tty) {
      await l.start(cs, id);
      return (await import("./run.ts")).attachTo(cs, id);
    }
    await l.start(cs, o.containers[0]!);
    await (await import("./logs-command.ts")).logs({ container: o.containers[0]!, follow: true, timestamps: false });
    return l.wait(cs, o.containers[0]!);
  },
  async stop(argv) {
    const o = (await import("../../cli/zoo/stop.ts")).parseStop("stop", argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(o.containers, (n) => l.stop(cs, n, o.timeout, o.signal));
  },
  async restart(argv) {
    const o = (await import("../../cli/zoo/stop.ts")).parseStop("restart", argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(o.containers, (n) => l.restart(cs, n, o.timeout));
  },
  async kill(argv) {
    const o = (await import("../../cli/zoo/kill.ts")).parseKill(argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(o.containers, (n) => l.kill(cs, n, o.signal));
  },
  async rm(argv) {
    const o = (await import("../../cli/zoo/rm.ts")).parseRm(argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(o.containers, (n) => l.remove(cs, n, o.force));
  },
  async wait(argv) {
    const names = (await import("../../cli/zoo/names.ts")).parseNames("wait", argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(names, async (n) => writeOut(`${await l.wait(cs, n)}\n`), false);
  },
  async pause(argv) {
    const names = (await import("../../cli/zoo/names.ts")).parseNames("pause", argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(names, (n) => l.pause(cs, n, true));
  },
  async unpause(argv) {
    const names = (await import("../../cli/zoo/names.ts")).parseNames("unpause", argv);
    const cs = (await show()).containers();
    const l = await life();
    return each(names, (n) => l.pause(cs, n, false));
  },
  async rename(argv) {
    const o = (await import("../../cli/zoo/rename.ts")).parseRename(argv);
    await (await life()).rename((await show()).containers(), o.container, o.name);
    return 0;
  },
  async ps(argv) {
    return (await show()).ps((await import("../../cli/zoo/ps.ts")).parsePsArgs(argv));
  },
  async inspect(argv) {
    const o = (await import("../../cli/zoo/inspect.ts")).parseInspect(argv);
    return (await show()).inspect(o.containers, o.format);
  },
  async port(argv) {
    const o = (await import("../../cli/zoo/port.ts")).parsePort(argv);
    return (await show()).port(o.container, o.port);
  },
  async top(argv) {
    const o = (await import("../../cli/zoo/top.ts")).parseTop(argv);
    return (await show()).top(o.container, o.psArgs);
  },
  async logs(argv) {
    return (await import("./logs-command.ts")).logs((await import("../../cli/zoo/logs.ts")).parseLogsArgs(argv));
  },
  async cp(argv) {
    return (await import("./cp.ts")).cp((await import("../../cli/zoo/cp.ts")).parseCpArgs(argv));
  },
  async attach(argv) {
    const names = (await import("../../cli/zoo/names.ts")).parseNames("attach", argv.filter((a) => a !== "--sig-proxy=false" && a !== "--no-stdin"));
    const cs = (await show()).containers();
    const id = cs.resolve(names[0]!);
    await (await import("./finalize.ts")).repair(cs, [id]);
    const s = cs.state(id);
    if (s.status !== "running" && s.status !== "paused") throw new UsageError(`attach: container ${cs.config(id).name} is not running: start it first`);
    if (!cs.config(id).flags.tty) {
      // Without a terminal there is nothing to type into: follow its output, as `docker attach --no-stdin` does.
      await (await import("./logs-command.ts")).logs({ container: id, follow: true, timestamps: false, tail: "0" });
      return (await life()).wait(cs, id);
    }
    return (await import("./run.ts")).attachTo(cs, id);
  },
  async stats(argv) {
    return (await import("./stats.ts")).stats((await import("../../cli/zoo/stats.ts")).parseStatsArgs(argv));
  },
  async exec(argv) {
    return (await import("./exec.ts")).execIn((await import("../../cli/zoo/exec.ts")).parseExecArgs(argv));
  },
  async system(argv) {
    const [sub, ...rest] = argv;
    const sys = await import("./system.ts");
    if (sub === "healthcheck") {
      if (rest[0] !== "--root" || rest.length !== 3) throw new UsageError("container healthcheck is run by a container's monitor: container healthcheck --root STORE ID");
      return (await import("./health.ts")).healthcheck(rest[1]!, rest[2]!);
    }
    if (sub === "prune") return sys.systemPrune(rest);
    if (sub === "df") return sys.systemDf();
    if (sub === "info") return sys.info();
    throw new UsageError(`system: unknown command "${sub ?? ""}": zoo system prune|df|info`);
  },
  async info() {
    return (await import("./system.ts")).info();
  },
  async container(argv) {
    const [sub, ...rest] = argv;
    if (sub === "cleanup") {
      // The monitor's exit command: zoo container cleanup --root STORE ID.
      if (rest[0] !== "--root" || rest.length !== 3) throw new UsageError("container cleanup is run by a container's monitor: container cleanup --root STORE ID");
      return (await import("./cleanup.ts")).containerCleanup(rest[1]!, rest[2]!);
    }
    if (sub === "healthcheck") {
      if (rest[0] !== "--root" || rest.length !== 3) throw new UsageError("container healthcheck is run by a container's monitor: container healthcheck --root STORE ID");
      return (await import("./health.ts")).healthcheck(rest[1]!, rest[2]!);
    }
    if (sub === "prune") return (await import("./prune.ts")).prune(rest);
    if (sub === "ls" || sub === "list") return HANDLERS.ps!(rest);
    const h = sub ? HANDLERS[sub] : undefined;
    if (!h || sub === "container") throw new UsageError(`container: unknown command "${sub ?? ""}" (see zoo --help)`);
    return h(rest);
  },
};

/** null: not a container command. */
export function containerCommand(cmd: string, argv: string[]): Promise<number> | null {
  const h = HANDLERS[cmd];
  return h ? h(argv) : null;
}
