// config.json mounts seen from inside the container (/proc/self/mountinfo):
// bind and rbind with ro/nosuid/nodev/noexec and propagation options, tmpfs
// options, the default spec's proc/sysfs/mqueue/devpts, a cgroup mount, and
// a destination through a symlink in the rootfs staying inside it (a symlink
// to nothing gets its target made there, as runc does).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IS_ROOT, run } from "../../helpers/env.ts";
import { useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

// One line per mount: point, fstype, mount options, superblock options, optional fields ("shared:N"...) or "-".
const MOUNTS = `awk '{ o = ""; for (i = 7; $i != "-"; i++) o = o (o == "" ? "" : ",") $i; print $5, $(i + 1), $6, $(i + 3), (o == "" ? "-" : o) }' /proc/self/mountinfo`;

interface MountLine {
  fstype: string;
  opts: string[];
  superOpts: string[];
  optional: string;
}

describe.skipIf(!IS_ROOT)("zoo-runtime: mounts (root)", () => {
  const t = useRuntimeSuite();
  /** The container's mounts (the last one on each point wins) and what `extra` printed after them. */
  const mountsOf = async (id: string, edit: (s: any) => void, extra = "") => {
    const r = await t.rt(["run", "-b", t.bundle(["sh", "-c", `${MOUNTS}; echo ---${extra}`], edit), id]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const [table, after] = r.stdout.split("---\n") as [string, string];
    const byPoint = new Map<string, MountLine>();
    for (const l of table.trim().split("\n")) {
      const [mp, fstype, opts, superOpts, optional] = l.split(" ") as [string, string, string, string, string];
      byPoint.set(mp, { fstype, opts: opts.split(","), superOpts: superOpts.split(","), optional });
    }
    return { at: (mp: string) => byPoint.get(mp), after };
  };

  test("bind with ro, nosuid, nodev, noexec; rbind takes submounts, bind does not; propagation options", async () => {
    const src = join(t.work, "timens-bind-src");
    mkdirSync(join(src, "sub"), { recursive: true });
    writeFileSync(join(src, "file"), "from the host\n");
    expect((await run(["mount", "-t", "tmpfs", "-o", "size=1m", "timens-sub", join(src, "sub")])).code).toBe(0);
    try {
      const { at, after } = await mountsOf("timens-m1", (s) => {
        s.mounts.push(
          { destination: "/ro", type: "bind", source: src, options: ["bind", "ro", "nosuid", "nodev", "noexec"] },
          { destination: "/rbind", type: "bind", source: src, options: ["rbind", "rw", "rshared"] },
          { destination: "/bind", type: "bind", source: src, options: ["bind", "runbindable"] },
        );
      }, "; cat /ro/file; touch /ro/x 2>&1 || true");
      expect(at("/ro")!.opts).toEqual(expect.arrayContaining(["ro", "nosuid", "nodev", "noexec"]));
      expect(at("/rbind")!.opts).toContain("rw");
      expect(at("/rbind")!.optional).toMatch(/^shared:\d+$/);
      expect(at("/bind")!.optional).toBe("unbindable");
      // rbind brings the tmpfs mounted on sub; bind does not.
      expect(at("/rbind/sub")?.fstype).toBe("tmpfs");
      expect(at("/bind/sub")).toBeUndefined();
      expect(after).toBe("from the host\ntouch: /ro/x: Read-only file system\n");
    } finally {
      await run(["umount", join(src, "sub")]);
    }
  });

  test("tmpfs options; the default spec's proc, sysfs, mqueue, devpts and /dev; a cgroup mount shows this container's cgroups", async () => {
    const { at, after } = await mountsOf("timens-m2", (s) => {
      s.mounts.push(
        { destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m", "mode=1750"] },
        { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
      );
    }, "; stat -c %a /scratch; ls /sys/fs/cgroup | grep -cxE 'memory|pids'");
    expect(at("/scratch")).toMatchObject({ fstype: "tmpfs", superOpts: expect.arrayContaining(["size=1024k", "mode=1750"]) });
    expect(at("/scratch")!.opts).toContain("nosuid");
    expect(at("/proc")?.fstype).toBe("proc");
    expect(at("/sys")).toMatchObject({ fstype: "sysfs", opts: expect.arrayContaining(["ro", "nosuid", "nodev", "noexec"]) });
    expect(at("/dev")).toMatchObject({ fstype: "tmpfs", superOpts: expect.arrayContaining(["mode=755"]) });
    expect(at("/dev/pts")).toMatchObject({ fstype: "devpts", superOpts: expect.arrayContaining(["gid=5", "mode=620", "ptmxmode=666"]) });
    expect(at("/dev/shm")).toMatchObject({ fstype: "tmpfs", opts: expect.arrayContaining(["nosuid", "nodev", "noexec"]) });
    expect(at("/dev/mqueue")?.fstype).toBe("mqueue");
    // This host's cgroups are v1: a read-only tmpfs of the hierarchies, each the container's own cgroup.
    expect(at("/sys/fs/cgroup")!.opts).toContain("ro");
    expect(after).toBe("1750\n2\n");
  });

  test("a destination through a symlink in the rootfs (absolute, or climbing with ..) resolves inside it, never on the host", async () => {
    const hostTarget = "/timens-escape-target";
    const links = { "timens-abs": hostTarget, "timens-rel": `../../../..${hostTarget}` };
    // The target exists inside the rootfs only; on the host it must stay absent.
    mkdirSync(join(t.rootfs, hostTarget));
    for (const [name, to] of Object.entries(links)) symlinkSync(to, join(t.rootfs, name));
    try {
      for (const name of Object.keys(links)) {
        const { at } = await mountsOf(`timens-m3-${name}`, (s) => {
          s.mounts.push({ destination: `/${name}/sub`, type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
        });
        expect(at(`${hostTarget}/sub`)?.fstype).toBe("tmpfs");
        expect(existsSync(hostTarget)).toBe(false);
      }
    } finally {
      for (const name of Object.keys(links)) rmSync(join(t.rootfs, name), { force: true });
      rmSync(join(t.rootfs, hostTarget), { recursive: true, force: true });
    }
  });

  test("a destination that is a symlink to nothing: its target is made inside the rootfs, as runc does", async () => {
    const hostTarget = "/timens-dangling-target";
    symlinkSync(hostTarget, join(t.rootfs, "timens-dangling"));
    try {
      const { at } = await mountsOf("timens-m4", (s) => {
        s.mounts.push({ destination: "/timens-dangling", type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
      });
      expect(at(hostTarget)?.fstype).toBe("tmpfs");
      expect(existsSync(hostTarget)).toBe(false);
      expect(existsSync(join(t.rootfs, hostTarget))).toBe(true);
    } finally {
      rmSync(join(t.rootfs, "timens-dangling"), { force: true });
      rmSync(join(t.rootfs, hostTarget), { recursive: true, force: true });
    }
  });
});
