// `zoo run --rm busybox ...`: the built-in image, overlay root, foreground run.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureTestUser, IS_ROOT, run, useTempStore, ZOO } from "../../helpers/env.ts";

describe.skipIf(!IS_ROOT)("zoo run", () => {
  const t = useTempStore();
  const zoo = (args: string[]) => t.zoo(args);

  test("the built-in busybox image runs with no network and no registry", async () => {
    const r = await zoo(["run", "--rm", "busybox", "sh", "-c", "echo hello; echo $$; hostname | wc -c; cat /etc/passwd | head -1"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello\n1\n13\nroot:x:0:0:root:/root:/bin/sh\n");
    expect(r.code).toBe(0);
    const images = await zoo(["images"]);
    expect(images.stdout).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[0-9a-f]{12}\s+N\/A\s+[\d.]+MB\n$/);
  });

  test("writes land in the container's upper layer, not in the image, and are gone after --rm", async () => {
    const r = await zoo(["run", "--rm", "busybox", "sh", "-c", "echo x > /bin/new-file && ls /bin/new-file && rm /bin/ls && echo removed"]);
    expect(r.stdout).toBe("/bin/new-file\nremoved\n");
    const layers = readdirSync(join(t.store, "layers")).filter((d) => !d.startsWith("."));
    expect(layers).toHaveLength(1);
    expect(existsSync(join(t.store, "layers", layers[0]!, "bin/new-file"))).toBe(false);
    expect(existsSync(join(t.store, "layers", layers[0]!, "bin/ls"))).toBe(true);
    expect(readdirSync(join(t.store, "containers"))).toEqual([]);
    const again = await zoo(["run", "--rm", "busybox", "ls", "/bin/ls"]);
    expect(again.stdout).toBe("/bin/ls\n");
  });

  test("network none: a private namespace with only lo, and lo up", async () => {
    const r = await zoo(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "ip -o link | awk '{print $2, $3}'; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-works"]);
    expect(r.stdout).toMatch(/^lo: <LOOPBACK,UP,LOWER_UP>\nlo-works\n$/);
  });

  test("-e, -w, -h, exit codes and limits", async () => {
    const r = await zoo(["run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "-h", "web", "-m", "64m", "--pids-limit", "20", "busybox", "sh", "-c", "echo $FOO $(pwd) $(hostname); exit 5"]);
    expect(r.stdout).toBe("bar /tmp web\n");
    expect(r.code).toBe(5);
  });

  test("bad input: unknown image, missing --rm, unknown flag", async () => {
    const cases: [string[], RegExp][] = [
      [["run", "--rm", "nope"], /image "nope" not found/],
      [["run", "--restart", "sometimes", "busybox", "true"], /invalid --restart "sometimes"/],
      [["run", "--bogus", "busybox"], /unknown flag --bogus/],
      [["frobnicate"], /unknown command "frobnicate"/],
    ];
    for (const [args, re] of cases) {
      const r = await zoo(args);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.code).toBe(125);
    }
  });

  test("rootless: the user's own store under ~/.local/share/zoo", async () => {
    const user = ensureTestUser();
    rmSync(join(user.home, ".local/share/zoo"), { recursive: true, force: true });
    const r = await run([ZOO, "run", "--rm", "--network", "none", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map | wc -l"], { asUser: user });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("0\n2\n");
    expect(existsSync(join(user.home, ".local/share/zoo/images.json"))).toBe(true);
    // Files owned by a subordinate id and overlayfs' work dir still go with --rm.
    const owned = await run([ZOO, "run", "--rm", "--network", "none", "busybox", "sh", "-c", "mkdir -p /data/x && chown -R 1000:1000 /data && chmod 700 /data/x"], { asUser: user });
    expect(owned.stderr).toBe("");
    expect(readdirSync(join(user.home, ".local/share/zoo/containers"))).toEqual([]);
    rmSync(join(user.home, ".local/share/zoo"), { recursive: true, force: true });
  });
});
