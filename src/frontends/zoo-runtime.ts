// `zoo-runtime`: the runc-compatible CLI. Its lifecycle commands are still to
// come; until then it says so plainly instead of pretending.
import { VERSION } from "../version.ts";
import { UsageError } from "../util/errors.ts";

export async function zooRuntimeMain(argv: string[]): Promise<number> {
  if (argv.includes("--version") || argv[0] === "version") {
    process.stdout.write(`zoo-runtime version ${VERSION}\nspec: 1.2.0\n`);
    return 0;
  }
  throw new UsageError(`${argv[0] ?? "(no command)"}: not available in this build yet (only --version)`);
}
