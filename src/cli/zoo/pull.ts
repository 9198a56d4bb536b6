// `zoo pull [--platform P] [-q] [--tls-verify=false] IMAGE`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("pull", argv, ["-q", "--quiet", "-a", "--all-tags"], ["--platform", "--tls-verify"]);
  if (f.bools.has("-a") || f.bools.has("--all-tags")) throw new UsageError("pull: --all-tags is not supported; pull one tag at a time");
  if (f.args.length !== 1) throw new UsageError("pull: give one image, e.g. zoo pull alpine:3.20");
  const tls = f.values.get("--tls-verify") ?? "true";
  if (tls !== "true" && tls !== "false") throw new UsageError(`pull: --tls-verify takes true or false, not "${tls}"`);
  const { pull, parsePlatform } = await import("../../image/pull.ts");
  const { Store, defaultStoreRoot } = await import("../../image/store.ts");
  const quiet = f.bools.has("-q") || f.bools.has("--quiet");
  const platform = f.values.has("--platform") ? parsePlatform(f.values.get("--platform")!) : undefined;
  const r = await pull(new Store(defaultStoreRoot()), f.args[0]!, { platform, insecure: tls === "false", out: process.stdout, quiet });
  if (quiet) process.stdout.write(`${r.key}\n`);
  return 0;
}
