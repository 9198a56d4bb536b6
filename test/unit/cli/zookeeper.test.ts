import { expect, test } from "bun:test";
import { parseZookeeperArgs, USAGE } from "../../../src/cli/zookeeper.ts";
import { UsageError } from "../../../src/util/errors.ts";

const parse = (...a: string[]) => parseZookeeperArgs(a, 2);

test("flags and the command, getopt style", () => {
  const o = parse("-r", "/fs", "-m", "64m", "-c", "20", "-p", "10", "-P", "/bin/sh", "-c", "echo hi");
  expect(o).toMatchObject({ root: "/fs", memory: 64 * 1024 * 1024, cpuPercent: 20, pids: 10, proc: true, network: false });
  expect(o.command).toEqual(["/bin/sh", "-c", "echo hi"]);
});

test("combined flags, attached values, and --", () => {
  const o = parse("-Pn", "-m1g", "-p5", "--", "-weird-cmd");
  expect(o).toMatchObject({ proc: true, network: true, memory: 1024 ** 3, pids: 5 });
  expect(o.command).toEqual(["-weird-cmd"]);
});

test("memory units", () => {
  expect(parse("-m", "1048576", "x").memory).toBe(1048576);
  expect(parse("-m", "2048k", "x").memory).toBe(2048 * 1024);
  expect(() => parse("-m", "512k", "x")).toThrow(/too small/);
  expect(parse("-m", "2G", "x").memory).toBe(2 * 1024 ** 3);
});

test("bad values give one clear line naming the flag and the fix", () => {
  const cases: [string[], RegExp][] = [
    [["-m", "12Q", "x"], /invalid memory limit -m "12Q": use bytes or a number with k, m or g/],
    [["-m", "0", "x"], /-m "0"/],
    [["-c", "0", "x"], /invalid CPU limit -c "0": give a percentage of one CPU above 0/],
    [["-c", "250", "x"], /this host has 2 CPUs, so at most 200/],
    [["-c", "abc", "x"], /invalid CPU limit/],
    [["-p", "-1", "x"], /invalid processes limit -p "-1": give a whole number above 0/],
    [["-p", "1.5", "x"], /invalid processes limit/],
    [["-x", "cmd"], /invalid option -- 'x'/],
    [["-r"], /option requires an argument -- 'r'/],
    [[], /no command given/],
    [["-P"], /no command given/],
  ];
  for (const [args, re] of cases) {
    let err: unknown;
    try {
      parse(...args);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain("\n");
  }
});

test("-c above 100 is allowed on a multi-core host", () => {
  expect(parse("-c", "150", "x").cpuPercent).toBe(150);
});

test("-h needs no command and the usage matches the assignment", () => {
  expect(parse("-h").help).toBe(true);
  expect(USAGE).toContain("Usage: zookeeper [options] <command>");
  for (const f of ["-h ", "-r <dir>", "-m <mem>", "-c <cpu>", "-p <procs>", "-P ", "-n "]) expect(USAGE).toContain(f);
});

test("--cgroup-manager takes cgroupfs or systemd, before the command only", () => {
  expect(parse("--cgroup-manager", "systemd", "-m", "1m", "x").cgroupManager).toBe("systemd");
  expect(parse("--cgroup-manager=cgroupfs", "x")).toMatchObject({ cgroupManager: "cgroupfs", command: ["x"] });
  expect(parse("x", "--cgroup-manager", "systemd")).toMatchObject({ command: ["x", "--cgroup-manager", "systemd"] });
  expect(() => parse("--cgroup-manager", "sd", "x")).toThrow('--cgroup-manager "sd": want cgroupfs or systemd');
  expect(() => parse("--cgroup-manager")).toThrow("--cgroup-manager needs a value");
});
