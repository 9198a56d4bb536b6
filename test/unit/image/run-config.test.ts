import { expect, test } from "bun:test";
import { effectiveConfig, parseTmpfs, parseVolume, resolveUser } from "../../../src/image/run-config.ts";
import { parseEnvFile, parseRunArgs } from "../../../src/cli/zoo/run.ts";

const PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\nbroken line\n";
const GROUP = "root:x:0:\napps:x:1001:\nstaff:x:50:app,other\nwheel:x:10:root,app\n";

test("users resolve as Docker does: names, numbers, groups; supplementary groups from /etc/group", () => {
  expect(resolveUser("app", PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1001, additionalGids: [50, 10], home: "/home/app" });
  expect(resolveUser("1000", PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1001, additionalGids: [50, 10], home: "/home/app" });
  expect(resolveUser("app:staff", PASSWD, GROUP)).toEqual({ uid: 1000, gid: 50, additionalGids: [], home: "/home/app" });
  expect(resolveUser("4242", PASSWD, GROUP)).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: undefined });
  expect(resolveUser("4242:7", null, null)).toEqual({ uid: 4242, gid: 7, additionalGids: [], home: undefined });
  expect(() => resolveUser("ghost", PASSWD, GROUP)).toThrow("unable to find user ghost: no matching entries in the image's /etc/passwd");
  expect(() => resolveUser("app:ghosts", PASSWD, GROUP)).toThrow("unable to find group ghosts");
  expect(() => resolveUser("a:b:c", PASSWD, GROUP)).toThrow(/USER or USER:GROUP/);
  expect(() => resolveUser("99999999999", PASSWD, GROUP)).toThrow(/out of range/);
});

test("--entrypoint replaces the image's and drops its Cmd", () => {
  const c = { Entrypoint: ["/init"], Cmd: ["serve"], Env: ["A=1"] };
  const f = { image: "x", env: [] };
  expect(effectiveConfig(c, f)).toBe(c);
  expect(effectiveConfig(c, { ...f, entrypoint: "/bin/sh" })).toEqual({ Entrypoint: ["/bin/sh"], Cmd: [], Env: ["A=1"] });
  expect(effectiveConfig(c, { ...f, entrypoint: "" })).toEqual({ Entrypoint: [], Cmd: [], Env: ["A=1"] });
});

test("-v and --tmpfs", () => {
  expect(parseVolume("/tmp:/data")).toEqual({ destination: "/data", type: "bind", source: "/tmp", options: ["rbind", "rw", "nosuid", "nodev"] });
  expect(parseVolume("/tmp:/data/:ro").options).toContain("ro");
  expect(() => parseVolume("vol:/data")).toThrow(/named volumes are not supported/);
  expect(() => parseVolume("/tmp:data")).toThrow(/must be absolute/);
  expect(() => parseVolume("/tmp:/")).toThrow(/cannot mount over the container's \//);
  expect(() => parseVolume("/no/such/zoo/dir:/x")).toThrow(/does not exist on the host/);
  expect(parseTmpfs("/run:size=1m")).toEqual({ destination: "/run", type: "tmpfs", source: "tmpfs", options: ["rw", "noexec", "nosuid", "nodev", "size=1m"] });
  expect(() => parseTmpfs("/")).toThrow(/absolute path other than \//);
});

test("env files: comments, blanks, KEY=VALUE kept verbatim, a bare KEY from the environment", () => {
  process.env.ZOO_UNIT_FROM_HOST = "h";
  try {
    expect(parseEnvFile("# c\n\nA=1\nB= spaced value \nZOO_UNIT_FROM_HOST\nZOO_UNIT_UNSET\r\nC=x=y\n", "--env-file", "f")).toEqual(["A=1", "B= spaced value ", "ZOO_UNIT_FROM_HOST=h", "C=x=y"]);
  } finally {
    delete process.env.ZOO_UNIT_FROM_HOST;
  }
  expect(() => parseEnvFile("BAD KEY=1\n", "--env-file", "f")).toThrow('--env-file f:1: "BAD KEY=1" is not KEY=VALUE');
});

test("run flags of the image side parse", () => {
  const f = parseRunArgs(["--rm", "-u", "app:staff", "--entrypoint", "", "-v", "/a:/b:ro", "--tmpfs", "/t", "--read-only", "img", "x"]);
  expect([f.user, f.entrypoint, f.volumes, f.tmpfs, f.readOnly, f.image, f.command]).toEqual(["app:staff", "", ["/a:/b:ro"], ["/t"], true, "img", ["x"]]);
  expect(() => parseRunArgs(["-u", "", "img"])).toThrow(/needs USER\[:GROUP\]/);
});
