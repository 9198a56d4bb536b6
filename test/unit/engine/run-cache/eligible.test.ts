import { expect, test } from "bun:test";
import { parseRunArgs } from "../../../../src/cli/zoo/run.ts";
import { engineRunIneligible } from "../../../../src/engine/run-cache/eligible.ts";

const facts = (argv: string[], over: Partial<Parameters<typeof engineRunIneligible>[1]> = {}) => ({ argv, euid: 0, main: "/$bunfs/root/zoo", env: {}, ...over });
const why = (argv: string[], over = {}) => engineRunIneligible(parseRunArgs(argv.slice(1)), facts(argv, over));

test("a plain foreground run with network none is cached", () => {
  expect(why(["run", "--rm", "--network", "none", "-e", "A=1", "-m", "64m", "busybox", "true"])).toBeNull();
});

test("the default bridge is cached without --ip, -p and --name; other networks are not", () => {
  for (const net of [[], ["--network", "bridge"], ["--network", "default"]]) expect(why(["run", "--rm", ...net, "busybox", "true"])).toBeNull();
  const other = "a network other than none or the default bridge";
  expect(why(["run", "--rm", "--network", "front", "busybox", "true"])).toBe(other);
  expect(why(["run", "--rm", "--network", "host", "busybox", "true"])).toBe(other);
  expect(why(["run", "--rm", "--network", "bridge", "--network", "front", "busybox", "true"])).toBe(other);
  for (const flag of [["--ip", "10.88.0.9"], ["-p", "8080:80"], ["--name", "web"]]) expect(why(["run", "--rm", ...flag, "busybox", "true"])).toBe("--ip, -p or --name on a bridge network");
});

test("each input the key cannot hold keeps a run out", () => {
  const base = ["run", "--rm", "--network", "none"];
  expect(why([...base, "busybox", "true"], { env: { ZOO_RUN_CACHE: "off" } })).toBe("ZOO_RUN_CACHE=off");
  expect(why([...base, "busybox", "true"], { main: "/work/src/main.ts" })).toBe("not the compiled executable");
  expect(why([...base, "busybox", "true"], { euid: 1000 })).toBe("not root");
  expect(why([...base, "-v", "/tmp:/x", "busybox", "true"])).toBe("-v");
  expect(why([...base, "--privileged", "busybox", "true"])).toBe("--privileged");
  expect(why([...base, "-e", "HOME", "busybox", "true"])).toBe("-e NAME without a value, or --env-file");
  expect(why([...base, "--env=HOME", "busybox", "true"])).toBe("-e NAME without a value, or --env-file");
  const f = parseRunArgs(["--rm", "--network", "none", "busybox", "true"]);
  expect(engineRunIneligible(f, facts(["--root", "/x", "run", "--rm", "--network", "none", "busybox", "true"]))).toBe("flags before run");
});
