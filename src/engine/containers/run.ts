// `zoo run -d` (create + start, print the id) and `zoo run` without --rm
// (the same, then the container's output from its log until it exits, and
// its exit code as ours).
import type { RunFlags } from "../../cli/zoo/run.ts";
import { createContainer, type EngineFlags } from "./create.ts";
import { repair } from "./finalize.ts";
import { stop, wait } from "./lifecycle.ts";
import { printLogs } from "./logs.ts";
import { startContainer } from "./start.ts";
import type { Containers } from "./store.ts";

async function createAndStart(f: RunFlags & Partial<EngineFlags>): Promise<{ cs: Containers; id: string }> {
  const { cs, id } = await createContainer(f);
  try {
    await cs.locked(id, () => startContainer(cs, id));
  } catch (e) {
    // Docker keeps a container that failed to start (status Created, the error in inspect); so do we.
    if (f.rm) await (await import("./remove.ts")).removeContainer(cs, id);
    throw e;
  }
  return { cs, id };
}

export async function runDetached(f: RunFlags & Partial<EngineFlags>): Promise<number> {
  const { id } = await createAndStart(f);
  process.stdout.write(`${id}\n`);
  return 0;
}

export async function runAttached(f: RunFlags & Partial<EngineFlags>): Promise<number> {
  const { cs, id } = await createAndStart(f);
  // Ctrl-C / SIGTERM to us stops the container, as Docker's attached run forwards them.
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
