// The eBPF device program on the real kernel: compiled from rules, loaded
// and attached to a cgroup2 directory made below this process's own (on a
// hybrid host that is the cgroup2 mount at /sys/fs/cgroup/unified: a device
// program needs no controller). A child this test spawns is moved in and
// tries devices. Runs here and in the pure-v2 VM (test/integration/cgroups).
import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachDeviceProgram } from "../../../src/runtime/device-cgroup/attach.ts";
import { realBpf } from "../../../src/runtime/device-cgroup/bpf-ops.ts";
import { emulate } from "../../../src/runtime/device-cgroup/emulate.ts";
import { compileProgram, encodeProgram, OP } from "../../../src/runtime/device-cgroup/program.ts";
import { ACC_ALL, ACC_MKNOD, ACC_READ, ACC_WRITE, containerRules } from "../../../src/runtime/device-cgroup/rules.ts";

/** Our own cgroup2 directory: the cgroup2 mount plus the "0::" line of /proc/self/cgroup. */
function ownCgroup2(): string | null {
  const mount = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[f.indexOf("-") + 1] === "cgroup2")?.[4];
  const own = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.startsWith("0::"))
    ?.slice(3);
  return mount && own !== undefined ? join(mount, own) : null;
}

const own = process.geteuid!() === 0 ? ownCgroup2() : null;
const made: string[] = [];
const scratch: string[] = [];

function child(dir: string) {
  const cg = join(dir, `zoo-test-bpfdev-${process.pid}-${randomBytes(3).toString("hex")}`);
  mkdirSync(cg);
  made.push(cg);
  return cg;
}

/** Runs `script` in a child moved into `cg` before it does anything. */
async function runIn(cg: string, script: string) {
  const p = Bun.spawn(["sh", "-c", `read _; ${script}`], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  try {
    writeFileSync(join(cg, "cgroup.procs"), String(p.pid));
    p.stdin.write("go\n");
    await p.stdin.end();
    const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code: await p.exited, stdout, stderr };
  } finally {
    p.kill(9);
    await p.exited;
  }
}

describe.skipIf(own === null)("eBPF device program on a real cgroup2 directory (root)", () => {
  afterAll(() => {
    for (const d of made.reverse()) if (existsSync(d)) rmdirSync(d);
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
    expect(made.filter((d) => existsSync(d))).toEqual([]);
  });

  test("deny-all + /dev/null + mknod of char devices: null opens, full and block mknod are refused", async () => {
    const cg = child(own!);
    const rules = [
      { allow: false, type: "a" as const, major: null, minor: null, access: ACC_ALL },
      { allow: true, type: "c" as const, major: 1, minor: 3, access: ACC_READ | ACC_WRITE | ACC_MKNOD },
      { allow: true, type: "c" as const, major: null, minor: null, access: ACC_MKNOD },
    ];
    attachDeviceProgram(cg, compileProgram(emulate(rules)), realBpf);
    const tmp = mkdtempSync(join(tmpdir(), "zoo-test-bpfdev-"));
    scratch.push(tmp);
    const r = await runIn(
      cg,
      [
        "exec 3</dev/null && echo null-read",
        "exec 4>/dev/null && echo null-write",
        "(exec 5</dev/full) 2>/dev/null || echo full-refused",
        `mknod ${tmp}/c c 1 7 && echo mknod-c`,
        `mknod ${tmp}/b b 7 0 2>&1 || echo mknod-b-refused`,
        // The node made is still the device full is, and still refused.
        `(exec 6<${tmp}/c) 2>&1 || echo made-node-refused`,
      ].join("; "),
    );
    expect(r.stdout).toMatch(/^null-read\nnull-write\nfull-refused\nmknod-c\n.*Operation not permitted\nmknod-b-refused\n.*Operation not permitted\nmade-node-refused\n$/);
    // The same things from outside the cgroup all work: the program is what refused.
    const outside = Bun.spawnSync(["sh", "-c", `exec 5</dev/full && echo full-ok`]);
    expect(outside.stdout.toString()).toBe("full-ok\n");
  });

  test("read-only /dev/zero: reading works, opening for writing is refused", async () => {
    const cg = child(own!);
    attachDeviceProgram(
      cg,
      compileProgram(emulate([{ allow: false, type: "a", major: null, minor: null, access: ACC_ALL }, { allow: true, type: "c", major: 1, minor: 5, access: ACC_READ }])),
      realBpf,
    );
    const r = await runIn(cg, "head -c 3 /dev/zero | od -An -tx1; (exec 3>/dev/zero) 2>&1 || echo write-refused");
    expect(r.stdout).toMatch(/^ 00 00 00\n.*Operation not permitted\nwrite-refused\n$/);
  });

  test("every shape the compiler makes passes the verifier: both defaults, each kind of field test", () => {
    const A = ACC_ALL;
    const lists = [
      containerRules([], []),
      containerRules([{ allow: true, access: "rwm" }, { allow: false, type: "c", major: 1, minor: 11, access: "w" }, { allow: false, type: "b", access: "rw" }], []),
      containerRules([{ allow: false, access: "rwm" }, { allow: true, type: "b", major: 8, access: "r" }, { allow: true, type: "c", minor: 4, access: "rw" }], [{ type: "c", path: "/dev/x", major: 240, minor: 1048575 }]),
      [{ allow: false, type: "a" as const, major: null, minor: null, access: A }],
      [{ allow: true, type: "a" as const, major: null, minor: null, access: A }],
    ];
    for (const rules of lists) realBpf.close(realBpf.loadDeviceProgram(encodeProgram(compileProgram(emulate(rules)))));
  });

  test("a program the verifier refuses: one line with the verifier's last word", () => {
    const bad = [
      { code: OP.MOV64_K, dst: 0, src: 0, off: 0, imm: 2 },
      { code: OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    expect(() => attachDeviceProgram(own!, bad, realBpf)).toThrow(/^loading the device cgroup program: Invalid argument \(verifier: At program exit the register R0 .*\)$/);
    // Exit without setting r0: refused with EACCES, the log says so too.
    expect(() => attachDeviceProgram(own!, bad.slice(1), realBpf)).toThrow(/^loading the device cgroup program: Permission denied \(verifier: R0 !read_ok\)$/);
  });
});
