// `zoo logout [REGISTRY]`: parsing only.
import { UsageError } from "../../util/errors.ts";
import { parseFlags } from "./image-commands.ts";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags("logout", argv, [], []);
  if (f.args.length > 1) throw new UsageError("logout: give at most one registry");
  const { logout } = await import("../../image/commands.ts");
  process.stdout.write(logout(f.args[0]));
  return 0;
}
