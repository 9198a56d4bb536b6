// `zoo login [-u USER] [-p PASS | --password-stdin] [REGISTRY]`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("login", argv, ["--password-stdin"], ["-u", "--username", "-p", "--password", "--tls-verify"]);
  if (f.args.length > 1) throw new UsageError("login: give at most one registry");
  const username = f.values.get("-u") ?? f.values.get("--username");
  let password = f.values.get("-p") ?? f.values.get("--password");
  if (f.bools.has("--password-stdin")) {
    if (password !== undefined) throw new UsageError("login: --password and --password-stdin cannot both be given");
    password = (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
  }
  if (!username || password === undefined || password === "") {
    throw new UsageError("login: give -u USER and the password with --password-stdin (or -p PASS)");
  }
  const { login } = await import("../../image/commands.ts");
  process.stdout.write(await login(f.args[0], { username, password }, f.values.get("--tls-verify") === "false"));
  return 0;
}
