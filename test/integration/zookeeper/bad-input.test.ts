// Bad input: one line on stderr, the right exit code, nothing left behind.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT, run, useRootfs, ZOOKEEPER } from "../../helpers/env.ts";

describe.skipIf(!IS_ROOT)("zookeeper bad input", () => {
  const rootfs = useRootfs({
    prepare: (fs) => {
      writeFileSync(join(fs, "bin/not-exec"), "#!/bin/sh\necho no\n");
      chmodSync(join(fs, "bin/not-exec"), 0o644);
    },
  });

  const cases: [string, string[], number, RegExp][] = [
    ["missing rootfs", ["-r", "/nonexistent/fs", "/bin/true"], 125, /^zookeeper: -r \/nonexistent\/fs: no such directory\n$/],
    ["rootfs is a file", ["-r", "/etc/hostname", "/bin/true"], 125, /not a directory/],
    ["command not found", ["-r", "<fs>", "/bin/nope"], 127, /^zookeeper: cannot run \/bin\/nope: command not found\n$/],
    ["command not found on PATH", ["-r", "<fs>", "nope"], 127, /cannot run nope: command not found/],
    ["not executable", ["-r", "<fs>", "/bin/not-exec"], 126, /^zookeeper: cannot run \/bin\/not-exec: permission denied\n$/],
    ["bad memory", ["-m", "12Q", "/bin/true"], 125, /^zookeeper: invalid memory limit -m "12Q": use bytes or a number with k, m or g \(e\.g\. 512m\)\n$/],
    ["zero cpu", ["-c", "0", "/bin/true"], 125, /invalid CPU limit -c "0"/],
    ["negative pids", ["-p", "-1", "/bin/true"], 125, /invalid processes limit -p "-1"/],
    ["no command", ["-P"], 125, /no command given/],
    ["unknown flag", ["-z", "/bin/true"], 125, /invalid option -- 'z'/],
  ];
  for (const [name, args, code, re] of cases) {
    test(name, async () => {
      const r = await run([ZOOKEEPER, ...args.map((a) => (a === "<fs>" ? rootfs.fs : a))]);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(code);
    });
  }

  test("a .env or bunfig.toml in the working directory is not read (the compiled executable would by default)", async () => {
    const cwd = mkdtempSync("/var/tmp/zookeeper-dotenv-");
    try {
      // Were it loaded, this would fail the run: ZOO_PUBLISH without -n is refused.
      writeFileSync(join(cwd, ".env"), "ZOO_PUBLISH=8080:80\n");
      writeFileSync(join(cwd, "bunfig.toml"), "preload = [\"./nope.ts\"]\n");
      const r = await run([ZOOKEEPER, "-r", rootfs.fs, "/bin/true"], { cwd });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test("-h prints the usage and exits 0", async () => {
    const r = await run([ZOOKEEPER, "-h"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("Usage: zookeeper [options] <command>");
  });
});
