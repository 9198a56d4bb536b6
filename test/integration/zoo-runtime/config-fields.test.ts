// config.json fields checked from inside the container: process (args, env,
// cwd, user, umask, rlimits, capabilities, noNewPrivileges, oomScoreAdj),
// hostname, domainname, annotations, root.readonly, masked and read-only
// paths, rootfsPropagation, sysctl, namespaces joined by path, personality,
// timeOffsets (also rootless); and the fields zoo-runtime refuses with one
// line and nothing created. The table of which test checks which field is in
// docs/design/zoo-runtime.md.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSpec } from "../../../src/oci/default-spec.ts";
import { ensureTestUser, IS_ROOT, makeRootfs, removeFixtures, run } from "../../helpers/env.ts";
import { RUNTIME, useRuntimeSuite } from "../../helpers/zoo-runtime.ts";

describe.skipIf(!IS_ROOT)("zoo-runtime: config fields (root)", () => {
  const t = useRuntimeSuite();

  test("oomScoreAdj, rootfsPropagation, umask and additionalGids apply to the process", async () => {
    const b = t.bundle(["sh", "-c", "cat /proc/self/oom_score_adj; awk '$5 == \"/\"' /proc/self/mountinfo | grep -o 'shared:' | head -1; umask; id -G"], (s) => {
      s.process!.oomScoreAdj = 500;
      s.process!.user = { uid: 0, gid: 0, umask: 0o027, additionalGids: [7, 9] };
      s.linux!.rootfsPropagation = "rshared";
    });
    const r = await t.rt(["run", "-b", b, "cf1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe("500\nshared:\n0027\n0 7 9\n");
  });

  test("linux.personality LINUX32: uname reports a 32-bit machine; LINUX leaves it", async () => {
    const r32 = await t.rt(["run", "-b", t.bundle(["uname", "-m"], (s: any) => (s.linux.personality = { domain: "LINUX32" })), "cfp32"]);
    expect([r32.code, r32.stdout, r32.stderr]).toEqual([0, process.arch === "x64" ? "i686\n" : "armv8l\n", ""]);
    const r64 = await t.rt(["run", "-b", t.bundle(["uname", "-m"], (s: any) => (s.linux.personality = { domain: "LINUX" })), "cfp64"]);
    expect([r64.code, r64.stdout, r64.stderr]).toEqual([0, process.arch === "x64" ? "x86_64\n" : "aarch64\n", ""]);
  });

  const withTimeNs = (offsets: unknown) => (s: any) => {
    s.linux.namespaces.push({ type: "time" });
    s.linux.timeOffsets = offsets;
  };
  const TEN_THOUSAND_DAYS = 864_000_000;
  const readClocks = ["sh", "-c", "tr -s ' ' </proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime"];
  const uptimeOf = (out: string) => Number(out.trim().split("\n").at(-1));

  test("linux.timeOffsets: the process starts in a time namespace with them (timens_offsets, /proc/uptime)", async () => {
    const r = await t.rt(["run", "-b", t.bundle(readClocks, withTimeNs({ boottime: { secs: TEN_THOUSAND_DAYS, nanosecs: 5 }, monotonic: { secs: -1 } })), "timens-to1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toStartWith(`monotonic -1 0\nboottime ${TEN_THOUSAND_DAYS} 5\n`);
    expect(uptimeOf(r.stdout)).toBeGreaterThanOrEqual(TEN_THOUSAND_DAYS);
    // In a user namespace whose root is not the caller's uid: set before the switch of ids.
    const userns = await t.rt(["run", "-b", t.bundle(readClocks, (s: any) => {
      withTimeNs({ boottime: { secs: 3600 } })(s);
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    }), "timens-to2"]);
    expect([userns.code, userns.stderr]).toEqual([0, ""]);
    expect(userns.stdout).toStartWith("monotonic 0 0\nboottime 3600 0\n");
  });

  test("oomScoreAdj in a user namespace whose root is not the caller's uid", async () => {
    const r = await t.rt(["run", "-b", t.bundle(["cat", "/proc/self/oom_score_adj"], (s: any) => {
      s.process.oomScoreAdj = 500;
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    }), "timens-oom1"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "500\n", ""]);
  });

  test("linux.timeOffsets: exec and a container joining the namespace by path see the same clocks", async () => {
    const b = t.bundle(["sleep", "60"], withTimeNs({ boottime: { secs: TEN_THOUSAND_DAYS } }));
    expect((await t.detached(["run", "-d", "--pid-file", join(t.work, "timens.pid"), "-b", b, "timens-to3"])).code).toBe(0);
    const e = await t.rt(["exec", "timens-to3", ...readClocks]);
    expect([e.code, e.stderr]).toEqual([0, ""]);
    expect(e.stdout).toStartWith(`monotonic 0 0\nboottime ${TEN_THOUSAND_DAYS} 0\n`);
    const pid = readFileSync(join(t.work, "timens.pid"), "utf8").trim();
    const joined = await t.rt(["run", "-b", t.bundle(readClocks, (s: any) => s.linux.namespaces.push({ type: "time", path: `/proc/${pid}/ns/time` })), "timens-to4"]);
    expect([joined.code, joined.stderr]).toEqual([0, ""]);
    expect(uptimeOf(joined.stdout)).toBeGreaterThanOrEqual(TEN_THOUSAND_DAYS);
  });

  test("linux.timeOffsets: bad values are one line, and nothing is left", async () => {
    const cases: [unknown, string][] = [
      [{ realtime: { secs: 1 } }, 'linux.timeOffsets.realtime: only "monotonic" and "boottime" clocks have offsets'],
      [{ boottime: { secs: 1.5 } }, "linux.timeOffsets.boottime.secs: must be an integer from -9223372036 to 9223372036, got 1.5"],
      [{ monotonic: { nanosecs: 1e9 } }, "linux.timeOffsets.monotonic.nanosecs: must be an integer 0..999999999, got 1000000000"],
      [{ monotonic: { sec: 1 } }, 'linux.timeOffsets.monotonic.sec: is not a field (want "secs" and "nanosecs")'],
      // The kernel's own check: boottime cannot go below zero.
      [{ boottime: { secs: -2_000_000_000 } }, "set the time namespace's clock offsets (linux.timeOffsets): an offset takes its clock below zero (a negative one larger than the host's uptime) or past the kernel's limit; use a smaller one"],
    ];
    let n = 0;
    for (const [offsets, msg] of cases) {
      const id = `timens-bad${++n}`;
      const r = await t.rt(["create", "-b", t.bundle(["true"], withTimeNs(offsets)), id]);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, "", `zoo-runtime: ${msg}\n`]);
      expect(existsSync(join(t.root, id))).toBe(false);
    }
    const noNs = await t.rt(["create", "-b", t.bundle(["true"], (s: any) => (s.linux.timeOffsets = { boottime: { secs: 1 } })), "timens-bad-nons"]);
    expect([noNs.code, noNs.stderr]).toEqual([1, 'zoo-runtime: linux.timeOffsets: needs a time namespace: add {"type": "time"} to linux.namespaces\n']);
    const byPath = await t.rt(["create", "-b", t.bundle(["true"], (s: any) => {
      s.linux.namespaces.push({ type: "time", path: "/proc/1/ns/time" });
      s.linux.timeOffsets = { boottime: { secs: 1 } };
    }), "timens-bad-path"]);
    expect([byPath.code, byPath.stderr]).toEqual([1, 'zoo-runtime: linux.timeOffsets: cannot be set on the time namespace joined at "/proc/1/ns/time" (its clocks are its own); remove one of them\n']);
  });

  test("process fields from inside: args, env, cwd, uid/gid, rlimits, the five capability sets, noNewPrivileges; hostname, domainname; annotations in state", async () => {
    const caps = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status | tr -s '\\t ' ' '";
    const b = t.bundle(["sh", "-c", `echo "$0 $FOO"; pwd; echo $(id -u) $(id -g) $(id -G); ulimit -n; ulimit -Hn; ulimit -c; ${caps}; hostname; cat /proc/sys/kernel/domainname`, "arg0"], (s) => {
      s.process!.env = ["PATH=/bin", "FOO=bar"];
      s.process!.cwd = "/tmp";
      s.process!.user = { uid: 1000, gid: 1001, additionalGids: [2000] };
      s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 321, hard: 654 }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }];
      // A non-root process keeps through execve only its ambient set (also permitted and effective then) and its inheritable and bounding sets.
      s.process!.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
        permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        effective: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
        ambient: ["CAP_NET_BIND_SERVICE"],
      };
      s.process!.noNewPrivileges = true;
      s.hostname = "timens-host";
      s.domainname = "timens.example";
      s.annotations = { "org.example.timens": "yes" };
    });
    expect((await t.detached(["create", "-b", b, "timens-pf1"])).code).toBe(0);
    const st = JSON.parse((await t.rt(["state", "timens-pf1"])).stdout);
    expect(st.annotations).toEqual({ "org.example.timens": "yes" });
    expect((await t.rt(["delete", "timens-pf1"])).code).toBe(0);
    const r = await t.rt(["run", "-b", b, "timens-pf2"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    // CHOWN 0, KILL 5, NET_BIND_SERVICE 10, AUDIT_WRITE 29.
    expect(r.stdout).toBe(
      "arg0 bar\n/tmp\n1000 1001 1001 2000\n321\n654\n0\n" +
        "CapInh: 0000000000000401\nCapPrm: 0000000000000400\nCapEff: 0000000000000400\nCapBnd: 0000000020000421\nCapAmb: 0000000000000400\nNoNewPrivs: 1\n" +
        "timens-host\ntimens.example\n",
    );
    const nnp = await t.rt(["run", "-b", t.bundle(["grep", "NoNewPrivs", "/proc/self/status"], (s) => (s.process!.noNewPrivileges = false)), "timens-pf3"]);
    expect([nnp.code, nnp.stdout]).toEqual([0, "NoNewPrivs:\t0\n"]);
  });

  test("root.readonly, maskedPaths and readonlyPaths, seen from inside", async () => {
    // Masked by the default spec and present on this host: a file (/dev/null over it) and a directory (an empty tmpfs).
    expect(readFileSync("/proc/timer_list", "utf8").length).toBeGreaterThan(0);
    const probe = "/timens-ro-probe";
    const ro = await t.rt(["run", "-b", t.bundle(["sh", "-c", `touch ${probe} 2>&1; wc -c </proc/timer_list; ls /sys/firmware | wc -l; echo x 2>&1 >/proc/sys/kernel/domainname; grep -c ' /proc/sys ro,' /proc/self/mountinfo`]), "timens-ro1"]);
    expect([ro.code, ro.stderr]).toEqual([0, ""]);
    expect(ro.stdout).toBe(`touch: ${probe}: Read-only file system\n0\n0\nsh: can't create /proc/sys/kernel/domainname: Read-only file system\n1\n`);
    try {
      const rw = await t.rt(["run", "-b", t.bundle(["sh", "-c", `touch ${probe} && echo written`], (s) => (s.root!.readonly = false)), "timens-ro2"]);
      expect([rw.code, rw.stdout]).toEqual([0, "written\n"]);
    } finally {
      rmSync(join(t.rootfs, probe), { force: true });
    }
  });

  test("linux.sysctl: namespaced keys are written in the container, the host keeps its values; others are refused", async () => {
    const hostShmmax = readFileSync("/proc/sys/kernel/shmmax", "utf8");
    const hostPing = readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8");
    const b = t.bundle(["sh", "-c", "cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ping_group_range"], (s) => {
      s.linux!.sysctl = { "kernel.shmmax": "12345678", "net.ipv4.ping_group_range": "7 9" };
    });
    const r = await t.rt(["run", "-b", b, "timens-sys1"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.replace(/\s+/g, " ")).toBe("12345678 7 9 ");
    expect(readFileSync("/proc/sys/kernel/shmmax", "utf8")).toBe(hostShmmax);
    expect(readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8")).toBe(hostPing);
    const host = await t.rt(["create", "-b", t.bundle(["true"], (s) => (s.linux!.sysctl = { "vm.swappiness": "1" })), "timens-sys2"]);
    expect([host.code, host.stderr]).toEqual([1, 'zoo-runtime: linux.sysctl["vm.swappiness"]: is not allowed: only sysctls of a namespace the container does not share with the host (net.* with a network namespace, IPC ones with an ipc namespace)\n']);
    const shared = await t.rt(["create", "-b", t.bundle(["true"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "network");
      s.linux!.sysctl = { "net.ipv4.ip_forward": "1" };
    }), "timens-sys3"]);
    expect(shared.code).toBe(1);
    expect(existsSync(join(t.root, "timens-sys2")) || existsSync(join(t.root, "timens-sys3"))).toBe(false);
  });

  test("namespaces joined by path: uts, ipc, network and pid of another container", async () => {
    const a = t.bundle(["sleep", "60"], (s) => (s.hostname = "timens-a"));
    const pidFile = join(t.work, "timens-nsa.pid");
    expect((await t.detached(["run", "-d", "--pid-file", pidFile, "-b", a, "timens-nsa"])).code).toBe(0);
    const pid = readFileSync(pidFile, "utf8").trim();
    const types = ["uts", "ipc", "net", "pid"];
    const b = t.bundle(["sh", "-c", `hostname; for n in ${types.join(" ")}; do readlink /proc/self/ns/$n; done; echo $$`], (s) => {
      s.hostname = undefined;
      s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
        ["uts", "ipc", "network", "pid"].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${n.type === "network" ? "net" : n.type}` } : n,
      );
    });
    const r = await t.rt(["run", "-b", b, "timens-nsb"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 5)).toEqual(["timens-a", ...types.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`))]);
    // Not PID 1: the other container's init is.
    expect(Number(lines[5])).toBeGreaterThan(1);
    const missing = await t.rt(["create", "-b", t.bundle(["true"], (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === "uts" ? { type: "uts", path: "/proc/999999999/ns/uts" } : n)))), "timens-nsc"]);
    expect([missing.code, missing.stderr]).toEqual([1, "zoo-runtime: cannot join namespace /proc/999999999/ns/uts: No such file or directory\n"]);
    expect(existsSync(join(t.root, "timens-nsc"))).toBe(false);
  });

  test("exec applies a --process oomScoreAdj", async () => {
    expect((await t.detached(["run", "-d", "-b", t.bundle(["sleep", "60"]), "cf2"])).code).toBe(0);
    const file = join(t.work, "oom.json");
    writeFileSync(file, JSON.stringify({ args: ["cat", "/proc/self/oom_score_adj"], cwd: "/", oomScoreAdj: 600 }));
    const r = await t.rt(["exec", "--process", file, "cf2"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "600\n", ""]);
  });

  test("what zoo-runtime cannot honour is refused by name, before anything is made", async () => {
    const cases: [(s: any) => void, string][] = [
      [(s) => (s.linux.personality = { domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"] }), 'linux.personality.flags: ["ADDR_NO_RANDOMIZE"]: personality flags are not supported; remove them'],
      [(s) => (s.linux.intelRdt = { closID: "c" }), "linux.intelRdt: Intel RDT (resctrl) is not supported; remove it"],
      [(s) => (s.process.scheduler = { policy: "SCHED_BATCH" }), "process.scheduler: is not supported; remove it"],
      [(s) => (s.process.apparmorProfile = "docker-default"), 'process.apparmorProfile: "docker-default": AppArmor is not supported'],
      [(s) => (s.process.selinuxLabel = "system_u:system_r:container_t:s0"), 'process.selinuxLabel: "system_u:system_r:container_t:s0": SELinux is not supported'],
      [(s) => (s.linux.mountLabel = "system_u:object_r:container_file_t:s0"), "linux.mountLabel: SELinux is not supported"],
    ];
    let n = 0;
    for (const [edit, msg] of cases) {
      const id = `cfbad${++n}`;
      const r = await t.rt(["create", "-b", t.bundle(["true"], edit), id]);
      expect([r.code, r.stderr]).toEqual([1, `zoo-runtime: ${msg}\n`]);
      expect(existsSync(join(t.root, id))).toBe(false);
    }
  });

  test("linux.resources.devices: a host device bound in is refused unless a rule allows it (v1 devices cgroup)", async () => {
    const open = ["sh", "-c", "exec 3</dev/loop-control && echo opened"];
    const bindIt = (s: any) => s.mounts.push({ destination: "/dev/loop-control", type: "bind", source: "/dev/loop-control", options: ["bind"] });
    const denied = await t.rt(["run", "-b", t.bundle(open, (s: any) => {
      bindIt(s);
      s.linux.resources = { devices: [{ allow: false, access: "rwm" }] };
    }), "dev1"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("Operation not permitted");
    const allowed = await t.rt(["run", "-b", t.bundle(open, (s: any) => {
      bindIt(s);
      s.linux.resources = { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 237, access: "rw" }] };
    }), "dev2"]);
    expect([allowed.code, allowed.stdout]).toEqual([0, "opened\n"]);
  });
});

describe.skipIf(!IS_ROOT)("zoo-runtime: config fields (rootless)", () => {
  afterAll(() => removeFixtures());

  /** `zoo-runtime run [flags] -b BUNDLE id` as the test user, its config edited from the rootless default. */
  async function runRootless(id: string, flags: string[], edit: (spec: any, rootfs: string) => void) {
    const user = ensureTestUser();
    const work = mkdtempSync("/var/tmp/zoo-runtime-rootless-");
    chmodSync(work, 0o755);
    try {
      const bundle = join(work, "bundle");
      const xdg = join(work, "xdg");
      mkdirSync(bundle);
      mkdirSync(xdg, { mode: 0o700 });
      Bun.spawnSync(["chown", `${user.uid}:${user.gid}`, bundle, xdg]);
      const spec = defaultSpec({ rootless: true, uid: user.uid, gid: user.gid }) as any;
      const rootfs = makeRootfs(user);
      spec.root = { path: rootfs, readonly: true };
      edit(spec, rootfs);
      writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
      const r = await run([RUNTIME, "run", ...flags, "-b", bundle, id], { asUser: user, env: { XDG_RUNTIME_DIR: xdg }, cwd: bundle });
      return { ...r, rootfs };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  test("--no-pivot as an unprivileged user: the rootfs moved over / of the container's mount namespace", async () => {
    const r = await runRootless("nopivot-rl1", ["--no-pivot"], (spec) => {
      spec.process.args = ["sh", "-c", "head -1 /proc/self/mountinfo | cut -d' ' -f4,5; id -u"];
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${r.rootfs} /\n0\n`, ""]);
  });

  test("linux.timeOffsets as an unprivileged user: the time namespace is the container's user namespace's", async () => {
    const r = await runRootless("timens-rl1", [], (spec) => {
      spec.process.args = ["sh", "-c", "tr -s ' ' </proc/self/timens_offsets; id -u"];
      spec.linux.namespaces.push({ type: "time" });
      spec.linux.timeOffsets = { monotonic: { secs: 42 }, boottime: { secs: 4242, nanosecs: 1 } };
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "monotonic 42 0\nboottime 4242 1\n0\n", ""]);
  });
});
