// The image commands of the zoo front door: which names exist (for
// dispatch), their help, the global --root flag, and a lazy route to each
// command's own parser in this directory.
import { splitLong } from "./args.ts";
import { resolve } from "node:path";
import { UsageError } from "../../util/errors.ts";

export const IMAGE_HELP = `  pull [--platform OS/ARCH[/VARIANT]] [-q] [--tls-verify=false] IMAGE
               download an image from a registry (short names: docker.io/library)
  login [-u USER] [-p PASS | --password-stdin] [REGISTRY]
  logout [REGISTRY]
               store or remove registry credentials (Docker's config.json)
  images [-q] [--digests] [--no-trunc] [NAME[:TAG]]
               list images in the local store
  load [-i FILE|DIR] [-q]
               load images from a docker-save archive or an OCI layout (tar or dir; stdin by default)
  save [-o FILE] IMAGE...
               write images as an OCI layout tar (stdout by default)
  import FILE|- NAME[:TAG]
               make a single-layer image from a root filesystem tar
  tag SOURCE TARGET
               give an image another name
  rmi [-f] IMAGE...
               remove image names (and what no other name uses)
  image ls|inspect|prune|rm|tag|pull|load|save|import
               the same under one command (zoo image inspect IMAGE; zoo image prune)
`;

const HELPER = "__zoo-unpack-layer";

export const IMAGE_COMMANDS = new Set(["pull", "login", "logout", "images", "load", "save", "import", "tag", "rmi", "image", HELPER]);

/** `zoo --root DIR COMMAND ...`: the store for this invocation (ZOO_ROOT for everything below). */
export function takeGlobalRoot(argv: string[]): string[] {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    let val: string | undefined;
    if (a === "--root") {
      val = argv[++i];
      if (val === undefined || val === "") throw new UsageError("--root needs a directory (the image and container store)");
    } else if (a.startsWith("--root=")) val = a.slice(7);
    else break;
    if (!val) throw new UsageError("--root needs a directory (the image and container store)");
    process.env.ZOO_ROOT = resolve(val);
  }
  return argv.slice(i);
}

const IMAGE_SUB: Record<string, string> = { ls: "images", list: "images", inspect: "inspect", prune: "prune", rm: "rmi", tag: "tag", pull: "pull", load: "load", save: "save", import: "import" };

export async function imageCommand(cmd: string, args: string[]): Promise<number> {
  if (cmd === HELPER) return (await import("../../image/layers.ts")).unpackHelperMain(args);
  if (cmd === "image") {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === "--help" || sub === "-h") {
      process.stdout.write("Usage: zoo image ls|inspect|prune|rm|tag|pull|load|save|import [ARGS...]\n");
      return sub === undefined ? 125 : 0;
    }
    const to = IMAGE_SUB[sub];
    if (!to) throw new UsageError(`image: unknown subcommand "${sub}" (ls, inspect, prune, rm, tag, pull, load, save, import)`);
    cmd = to;
    args = rest;
  }
  // Literal imports: the compiled executable bundles only what it can see.
  const load: Record<string, () => Promise<{ main(args: string[]): Promise<number> }>> = {
    pull: () => import("./pull.ts"),
    login: () => import("./login.ts"),
    logout: () => import("./logout.ts"),
    images: () => import("./images.ts"),
    load: () => import("./load.ts"),
    save: () => import("./save.ts"),
    import: () => import("./import.ts"),
    tag: () => import("./tag.ts"),
    rmi: () => import("./rmi.ts"),
    inspect: () => import("./image-inspect.ts"),
    prune: () => import("./prune.ts"),
  };
  return (await load[cmd]!()).main(args);
}

export interface ParsedFlags {
  bools: Set<string>;
  values: Map<string, string>;
  args: string[];
}

/** Flags of the small image commands: booleans, flags with a value (FLAG V or --flag=V), then operands. */
export function parseFlags(cmd: string, argv: string[], bools: string[], values: string[]): ParsedFlags {
  const out: ParsedFlags = { bools: new Set(), values: new Map(), args: [] };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === "--") {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      out.args.push(a);
      continue;
    }
    let val: string | undefined;
    [a, val] = splitLong(a);
    if (bools.includes(a)) {
      if (val !== undefined && val !== "true") throw new UsageError(`${cmd}: ${a} takes no value`);
      out.bools.add(a);
    } else if (values.includes(a)) {
      if (val === undefined) {
        if (++i >= argv.length) throw new UsageError(`${cmd}: flag ${a} needs a value`);
        val = argv[i]!;
      }
      out.values.set(a, val);
    } else throw new UsageError(`${cmd}: unknown flag ${a} (see zoo --help)`);
  }
  return out;
}
