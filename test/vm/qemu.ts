// One VM boot: a throwaway overlay of the cached image, the checkout and a
// control dir shared over 9p, and the command's stdout/stderr on virtio ports.
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Image } from "./image.ts";

export interface RunOptions {
  image: Image;
  argv: string[];
  src: string; // checkout root, mounted at the same path in the guest
  user?: string;
  timeoutSec: number;
  workDir: string; // parent of the per-run dir
  console: boolean; // stream the guest's serial console to stderr
  memoryMiB: number;
  cpus: number;
  rootCgroup: boolean; // root commands start in the root cgroup instead of the unit's
  guestRunner: string; // guest/zoo-vm-run, handed over on the control share
  log: (s: string) => void;
}

export interface RunResult {
  code: number;
  bootSec?: number; // boot until the command started
  totalSec: number;
}

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Follows a file qemu appends to, copying new bytes to an fd. */
class Tail {
  private off = 0;
  private buf = Buffer.alloc(1 << 16);
  constructor(private path: string, private outFd: number) {}
  drain() {
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, "r");
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, this.off);
        if (n <= 0) break;
        this.off += n;
        for (let w = 0; w < n; ) w += writeSync(this.outFd, this.buf, w, n - w);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Per-run dirs of runs that were SIGKILLed (nothing else could remove them), and their orphaned qemu. */
export function sweepRuns(workDir: string) {
  if (!existsSync(workDir)) return;
  for (const e of readdirSync(workDir)) {
    const pid = Number(/^run-(\d+)-/.exec(e)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch {}
    const dir = join(workDir, e);
    try {
      const qpid = Number(readFileSync(join(dir, "qemu.pid"), "utf8").trim());
      // Only if that pid is still our qemu: its command line names this run's dir.
      if (qpid && readFileSync(`/proc/${qpid}/cmdline`, "utf8").includes(dir)) process.kill(qpid, "SIGKILL");
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runInVm(o: RunOptions): Promise<RunResult> {
  mkdirSync(o.workDir, { recursive: true });
  sweepRuns(o.workDir);
  const dir = mkdtempSync(join(o.workDir, `run-${process.pid}-`));
  const ctl = join(dir, "ctl");
  const overlay = join(dir, "run.qcow2");
  let qemu: ReturnType<typeof Bun.spawn> | undefined;
  const onSignal = () => {
    qemu?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  const t0 = performance.now();
  try {
    mkdirSync(ctl);
    copyFileSync(o.guestRunner, join(ctl, "zoo-vm-run"));
    writeFileSync(join(ctl, "argv"), o.argv.map((a) => a + "\0").join(""));
    // Loose caching would be faster, but others edit the checkout while a run is up.
    writeFileSync(join(ctl, "env"), `ZOO_SRC=${q(o.src)}\nZOO_USER=${q(o.user ?? "")}\nZOO_CACHE_MODE=none\nZOO_ROOT_CGROUP=${o.rootCgroup ? 1 : 0}\n`);
    const img = Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", "-b", o.image.disk, "-F", "raw", overlay]);
    if (img.exitCode !== 0) throw new Error(`qemu-img create failed: ${img.stderr}`);
    const files = { out: join(dir, "stdout"), err: join(dir, "stderr"), console: join(dir, "console.log") };
    for (const f of Object.values(files)) writeFileSync(f, "");

    const cmd = [
      "qemu-system-x86_64",
      ...["-accel", "tcg,thread=multi", "-cpu", "max", "-smp", String(o.cpus), "-m", String(o.memoryMiB)],
      ...["-kernel", o.image.kernel, "-initrd", o.image.initrd],
      ...["-append", "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=1 systemd.show_status=0 loglevel=4"],
      // cache=unsafe: the overlay is deleted after the run, flushes buy nothing.
      ...["-drive", `file=${overlay},if=virtio,format=qcow2,cache=unsafe`],
      ...["-virtfs", `local,path=${o.src},mount_tag=zoosrc,security_model=none`],
      ...["-virtfs", `local,path=${ctl},mount_tag=zooctl,security_model=none`],
      ...["-device", "virtio-serial-pci"],
      ...["-chardev", `file,id=out,path=${files.out}`, "-device", "virtserialport,chardev=out,name=zoo.stdout"],
      ...["-chardev", `file,id=err,path=${files.err}`, "-device", "virtserialport,chardev=err,name=zoo.stderr"],
      ...["-serial", `file:${files.console}`, "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot"],
      ...["-pidfile", join(dir, "qemu.pid")],
    ];
    qemu = Bun.spawn(cmd, { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
    const tails = [new Tail(files.out, 1), new Tail(files.err, 2), ...(o.console ? [new Tail(files.console, 2)] : [])];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      qemu?.kill("SIGKILL");
    }, o.timeoutSec * 1000);
    let bootSec: number | undefined;
    let rcSeen: number | undefined;
    const poll = setInterval(() => {
      for (const t of tails) t.drain();
      if (bootSec === undefined && existsSync(join(ctl, "started"))) bootSec = (performance.now() - t0) / 1000;
      // The exit code is the last thing the guest sends; its shutdown after
      // that is only emulated seconds we would wait for, so cut it short.
      if (rcSeen === undefined && existsSync(join(ctl, "rc"))) rcSeen = performance.now();
      if (rcSeen !== undefined && performance.now() - rcSeen > 500) qemu?.kill("SIGKILL");
    }, 100);
    const qemuCode = await qemu.exited;
    clearTimeout(timer);
    clearInterval(poll);
    for (const t of tails) t.drain();
    if (bootSec === undefined && existsSync(join(ctl, "started"))) bootSec = (performance.now() - t0) / 1000;
    const totalSec = (performance.now() - t0) / 1000;
    const rcFile = join(ctl, "rc");
    const consoleTail = () => (o.console ? "" : "; console tail:\n" + readFileSync(files.console, "utf8").split("\n").slice(-40).join("\n"));
    if (existsSync(rcFile)) return { code: Number(readFileSync(rcFile, "utf8").trim()), bootSec, totalSec };
    if (timedOut) {
      o.log(`vm: time limit of ${o.timeoutSec} s reached, VM killed${consoleTail()}`);
      return { code: 124, bootSec, totalSec };
    }
    o.log(`vm: the guest stopped without an exit code (qemu exit ${qemuCode})${consoleTail()}`);
    return { code: 125, bootSec, totalSec };
  } finally {
    qemu?.kill("SIGKILL");
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
}
