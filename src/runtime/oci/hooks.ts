// OCI hooks (runtime-spec config.md "POSIX-platform Hooks", runtime.md
// "Lifecycle"): each hook gets the container's state JSON on stdin, runs with
// exactly its own args and env, and is killed when its timeout expires.
//
// Where each kind runs in zoo-runtime:
// - prestart, createRuntime: in the runtime's namespaces, from `create`, while
//   the container waits at a checkpoint after its mounts and before pivot_root.
// - createContainer: at that same checkpoint, in the container's namespaces:
//   `nsenter --all` into the waiting init process. Before pivot_root the
//   container's root is still the host's tree, as in runc (which runs these
//   hooks from its init process at that point).
// - startContainer: from `start`, in the container's namespaces and its root
//   (`nsenter --all --root`), while init is blocked on the start fifo, after
//   pivot_root and just before the user process is executed.
// - poststart: from `start`, once the process runs; poststop: from `delete`.
//
// Failures: prestart, createRuntime, createContainer and startContainer abort
// the operation (a HookError naming the hook); poststart and poststop are
// warnings and the remaining hooks and the operation go on.
import type { Hook } from "../../oci/spec.ts";
import { RuntimeError } from "./errors.ts";

export const HOOK_NAMES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;
export type HookName = (typeof HOOK_NAMES)[number];
export type Hooks = Partial<Record<HookName, Hook[]>>;

/** The state a hook reads on stdin (runtime-spec runtime.md "State"). */
export interface HookState {
  ociVersion: string;
  id: string;
  status: "creating" | "created" | "running" | "stopped";
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export class HookError extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = "HookError";
  }
}

/** Run in the runtime's namespaces, or entered into those of a container process. */
export type HookPlace = { kind: "runtime" } | { kind: "container"; pid: number; root: boolean };

const SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const hasHooks = (hooks: Hooks | undefined, ...names: HookName[]) => names.some((n) => (hooks?.[n]?.length ?? 0) > 0);

/** Runs `name`'s hooks in order; the first failure throws a HookError naming the hook. */
export async function runHooks(hooks: Hooks | undefined, name: HookName, state: HookState, place: HookPlace): Promise<void> {
  const list = hooks?.[name] ?? [];
  for (let i = 0; i < list.length; i++) {
    const why = await runOne(list[i]!, state, place);
    if (why !== null) throw new HookError(`${name} hook #${i} (${list[i]!.path}) ${why}`);
  }
}

/** Runs every hook of `name`; failures are returned as warnings, not thrown. */
export async function runHooksWarn(hooks: Hooks | undefined, name: HookName, state: HookState, place: HookPlace): Promise<string[]> {
  const warnings: string[] = [];
  const list = hooks?.[name] ?? [];
  for (let i = 0; i < list.length; i++) {
    const why = await runOne(list[i]!, state, place);
    if (why !== null) warnings.push(`${name} hook #${i} (${list[i]!.path}) ${why}`);
  }
  return warnings;
}

/** The hook's env list as an object; an entry without "=" is an empty variable. */
function envObject(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf("=");
    if (eq < 0) env[kv] = "";
    else env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/** null when the hook succeeded, otherwise what went wrong ("exited with status 3: <stderr>"). */
async function runOne(h: Hook, state: HookState, place: HookPlace): Promise<string | null> {
  // Loaded on the first hook: node:child_process costs every command ~3 ms of start-up otherwise.
  const { spawn } = await import("node:child_process");
  let file = h.path;
  let argv = h.args?.length ? [...h.args] : [h.path];
  let argv0: string | undefined = argv[0];
  if (place.kind === "container") {
    const nsenter = Bun.which("nsenter", { PATH: SBIN_PATH });
    if (!nsenter) return "cannot run: nsenter (util-linux) is needed to enter the container's namespaces";
    // nsenter execs argv[0] of what follows "--" as the path, so the hook's
    // own argv[0] cannot be kept here: it becomes the path.
    file = nsenter;
    argv = [nsenter, `--target=${place.pid}`, "--all", ...(place.root ? ["--root", "--wd"] : []), "--", h.path, ...argv.slice(1)];
    argv0 = undefined;
  }
  return new Promise((resolve) => {
    let out = "";
    let timer: ReturnType<typeof setTimeout> | null = null;
    let timedOut = false;
    const child = spawn(file, argv.slice(1), {
      argv0,
      env: envObject(h.env ?? []),
      // Its own process group, so a timeout kills whatever the hook started too.
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const collect = (b: Buffer) => {
      if (out.length < 4096) out += b.toString();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.stdin!.on("error", () => {}); // a hook need not read its stdin
    child.stdin!.end(JSON.stringify(state));
    if (h.timeout !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, h.timeout * 1000);
    }
    const detail = () => {
      const text = out.trim().split("\n").filter(Boolean).slice(-3).join("; ");
      return text ? `: ${text}` : "";
    };
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      resolve(`cannot run: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : e.message}`);
    });
    // "exit", not "close": a hook that leaves a daemon holding its stdout is done when it exits.
    child.on("exit", (code, signal) => {
      if (timer) clearTimeout(timer);
      // Give the pipes a moment to deliver what the hook wrote before it exited.
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        if (timedOut) resolve(`timed out after ${h.timeout} s and was killed`);
        else if (signal) resolve(`was killed by ${signal}${detail()}`);
        else if (code !== 0) resolve(`exited with status ${code}${detail()}`);
        else resolve(null);
      }, 10);
    });
  });
}
