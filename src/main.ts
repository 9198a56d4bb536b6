// One executable, three front doors: the name it was started as picks one.
// Installed, it is `zoo-bun`, started by the C front door (dist/zoo and
// dist/zoo-runtime, docs/design/run-cache.md) as `zoo` or `zoo-runtime`, or
// by its own name (zoo re-executes process.execPath), which is `zoo`.
import { basename } from "node:path";
import { ZooError } from "./util/errors.ts";
import { writeErr } from "./util/stdio.ts";

const FRONT_DOORS = ["zookeeper", "zoo", "zoo-runtime"] as const;
type FrontDoor = (typeof FRONT_DOORS)[number];

function pick(): { door: FrontDoor; args: string[] } {
  const name = basename(process.argv0);
  const args = process.argv.slice(2);
  if ((FRONT_DOORS as readonly string[]).includes(name)) return { door: name as FrontDoor, args };
  // The Bun executable by its own name: the zoo door, whatever the first
  // argument (`zoo-bun zookeeper` is zoo's, not a door's name).
  if (name === "zoo-bun") return { door: "zoo", args };
  // Run from source (`bun src/main.ts zookeeper ...`): the door is the first argument.
  const first = args[0];
  if (first && (FRONT_DOORS as readonly string[]).includes(first)) return { door: first as FrontDoor, args: args.slice(1) };
  return { door: "zoo", args };
}

async function main(): Promise<number> {
  // A copy of zoo started inside a rootless container's namespaces (src/net/netns.ts).
  if (process.env.ZOO_NETNS_OPS !== undefined && process.argv.at(-1) === "__zoo-netns-child") {
    return (await import("./net/netns.ts")).runNetnsChild() ?? 1;
  }
  // A replayed run's teardown, when the network changed under it (src/net/bridge/attach.ts).
  if (process.argv[2] === "__zoo-release-lease" && process.argv.length === 5) {
    try {
      (await import("./net/bridge/attach.ts")).releaseParentLease(process.argv[3]!, process.argv[4]!);
      return 0;
    } catch (e) {
      writeErr(`zoo: releasing a lease: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const { door, args } = pick();
  try {
    switch (door) {
      case "zookeeper":
        return await (await import("./frontends/zookeeper.ts")).zookeeperMain(args);
      case "zoo":
        return await (await import("./frontends/zoo.ts")).zooMain(args);
      case "zoo-runtime":
        return await (await import("./frontends/zoo-runtime.ts")).zooRuntimeMain(args);
    }
  } catch (e) {
    if (e instanceof ZooError) {
      writeErr(`${door}: ${e.message}\n`);
      return e.exitCode;
    }
    // Not one of ours: still one line, with the details only on request.
    const err = e as Error;
    writeErr(`${door}: ${err?.message ?? String(e)}${process.env.ZOO_DEBUG ? `\n${err?.stack}` : ""}\n`);
    return 125;
  }
}

// No top-level await: the executable is compiled to bytecode, which needs CommonJS.
main().then((code) => process.exit(code));
