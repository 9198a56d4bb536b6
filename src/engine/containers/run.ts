// `zoo run -d` (create + start, print the id), and `zoo run` in the
// foreground with a kept container (no --rm) or a terminal (-t): the same,
// then attached: the container's terminal (-t), or its output from the log
// until it exits; the exit code is the container's. --rm in the foreground is
// the client's job, as with the Docker CLI: the container is removed once its
// exit code is read.
import type { RunFlags } from "../../cli/zoo/run.ts";
import { UsageError } from "../../util/errors.ts";
import { connectAttach, streamStdin, terminalSize } from "./attach.ts";
import { createContainer, type EngineFlags } from "./create.ts";
import { repair } from "./finalize.ts";
import { stop, wait } from "./lifecycle.ts";
import { printLogs } from "./logs.ts";
import { removeContainer } from "./remove.ts";
import { startContainer, type StartOptions } from "./start.ts";
import type { Containers } from "./store.ts";
import { writeOut } from "../../util/stdio.ts";

type Flags = RunFlags & Partial<EngineFlags>;

async function createAndStart(f: Flags, opts: StartOptions = {}): Promise<{ cs: Containers; id: string }> {
  const { cs, id } = await createContainer(f);
  try {
    await cs.locked(id, () => startContainer(cs, id, opts));
  } catch (e) {
    // Docker keeps a container that failed to start (Created, the error in inspect), unless --rm.
    if (f.rm) await removeContainer(cs, id);
    throw e;
  }
  return { cs, id };
}

export async function runDetached(f: Flags): Promise<number> {
  const { id } = await createAndStart(f);
  writeOut(`${id}\n`);
  return 0;
}

export async function runAttached(f: Flags): Promise<number> {
  if (f.rm && f.restart && f.restart !== "no") throw new UsageError("--restart and --rm cannot be used together: a container that restarts is never removed");
  const rm = f.rm;
  let attach: Awaited<ReturnType<typeof connectAttach>> | null = null;
  const { cs, id } = await createContainer({ ...f, rm: false });
  try {
    // Connected before the container runs: nothing it prints is missed.
    const connect = async () => void (attach = await connectAttach(cs.path(id)));
    const opts: StartOptions = f.tty ? { consoleSize: terminalSize(), onAttachable: connect } : f.interactive ? { onAttachable: connect } : {};
    await cs.locked(id, () => startContainer(cs, id, opts));
  } catch (e) {
    if (rm) await removeContainer(cs, id);
    throw e;
  }
  let code: number;
  if (attach && !f.tty) {
    streamStdin((attach as Awaited<ReturnType<typeof connectAttach>>).writer);
    code = await follow(cs, id);
    process.stdin.pause();
  } else if (attach) {
    const how = await (attach as Awaited<ReturnType<typeof connectAttach>>).run().done;
    if (how === "detached") return 0;
    code = await wait(cs, id);
  } else {
    code = await follow(cs, id);
  }
  if (rm) await removeContainer(cs, id);
  return code;
}

/** Without a terminal: the log as it grows; our SIGINT/SIGTERM stop the container. */
async function follow(cs: Containers, id: string): Promise<number> {
  let stopping = false;
  const onSig = () => {
    if (!stopping) void stop(cs, id, 10).catch(() => {});
    stopping = true;
  };
  process.on("SIGINT", onSig);
  process.on("SIGTERM", onSig);
  const running = () => cs.monitored(id);
  await printLogs(cs.path(id, "container.log"), { timestamps: false, follow: true, running }, (stream, text) =>
    (stream === "stdout" ? process.stdout : process.stderr).write(text),
  );
  await repair(cs, [id]);
  const code = await wait(cs, id);
  process.off("SIGINT", onSig);
  process.off("SIGTERM", onSig);
  return code;
}

/** `zoo attach C` and `zoo start -a C` of a container with a terminal. */
export async function attachTo(cs: Containers, id: string): Promise<number> {
  const a = await connectAttach(cs.path(id));
  const how = await a.run().done;
  return how === "detached" ? 0 : wait(cs, id);
}
