// Loads a device program and attaches it to a cgroup2 directory. The
// attachment holds the program until the cgroup is removed, so our fd of it
// is closed at once. BPF_F_ALLOW_MULTI: a program systemd (or a parent)
// attached stays, and an access must pass all of them.
import { strerror } from "../../sys/errno.ts";
import { SyscallError } from "../../sys/libc.ts";
import { ZooError } from "../../util/errors.ts";
import type { BpfOps } from "./bpf-ops.ts";
import { encodeProgram, type Insn } from "./program.ts";

const EACCES = 13;
const EINVAL = 22;
const LOG_SIZE = 1 << 16;

export class DeviceCgroupError extends ZooError {
  constructor(message: string) {
    super(message);
    this.name = "DeviceCgroupError";
  }
}

const errnoOf = (e: unknown) => (e instanceof SyscallError ? e.errno : typeof (e as { errno?: unknown }).errno === "number" ? Math.abs((e as { errno: number }).errno) : undefined);

function failed(step: string, e: unknown, detail = ""): DeviceCgroupError {
  const n = errnoOf(e);
  return new DeviceCgroupError(`${step}: ${n === undefined ? (e as Error).message : strerror(n)}${detail}`);
}

export function attachDeviceProgram(dir: string, prog: Insn[], ops: BpfOps): void {
  const code = encodeProgram(prog);
  let progFd: number;
  try {
    progFd = ops.loadDeviceProgram(code);
  } catch (e) {
    // The verifier says why only when asked for its log, so ask once more.
    const n = errnoOf(e);
    const why = n === EINVAL || n === EACCES ? verifierSays(code, ops) : "";
    throw failed("loading the device cgroup program", e, why ? ` (verifier: ${why})` : "");
  }
  try {
    let cg: number;
    try {
      cg = ops.openCgroup(dir);
    } catch (e) {
      throw failed(`opening the cgroup ${dir}`, e);
    }
    try {
      ops.attachDevice(cg, progFd);
    } catch (e) {
      throw failed(`attaching the device cgroup program to ${dir}`, e);
    } finally {
      ops.close(cg);
    }
  } finally {
    ops.close(progFd);
  }
}

// The log ends with statistics after the line that names the refusal.
const STATS = /^(processed \d+ insns|verification time)/;

/** The verifier log's last line that names what it refused. */
function verifierSays(code: Uint8Array, ops: BpfOps): string {
  const log = new Uint8Array(LOG_SIZE);
  try {
    ops.close(ops.loadDeviceProgram(code, log));
    return "";
  } catch {
    const end = log.indexOf(0);
    const lines = new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end)).split("\n").map((l) => l.trim()).filter((l) => l && !STATS.test(l));
    return lines.at(-1) ?? "";
  }
}
