// The plan as typed data. Builders produce `PlanStep[]` (pure, easy to test);
// only `toRecords` knows the byte layout.
import { Op, Rec } from "./ids.ts";
import { Payload, type PlanRecord } from "./encode.ts";

export type PlanStep =
  | { op: "clone"; flags: bigint }
  | { op: "cgroupFd"; fd: number }
  | { op: "setns"; nstype: number; path: string }
  | { op: "options"; bits: number }
  | { op: "processName"; name: string }
  | { op: "rootfs"; path: string }
  | { op: "mount"; source: string | null; target: string; fstype: string | null; flags: bigint; data: string | null }
  | { op: "mkdir"; path: string; mode: number; flags: number }
  | { op: "device"; path: string; mode: number; major: number; minor: number; uid: number; gid: number; bindFallback: string | null }
  | { op: "symlink"; target: string; linkpath: string }
  | { op: "chdir"; path: string }
  | { op: "pivotRoot"; newRoot: string; putOld: string }
  | { op: "umount"; path: string; flags: number }
  | { op: "sethostname"; name: string }
  | { op: "setdomainname"; name: string }
  | { op: "rlimit"; resource: number; soft: bigint; hard: bigint }
  | { op: "unshare"; flags: bigint }
  | { op: "chroot"; path: string }
  | { op: "setgroups"; gids: number[] }
  | { op: "setgid"; gid: number }
  | { op: "setuid"; uid: number }
  | { op: "caps"; bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint }
  | { op: "noNewPrivs" }
  | { op: "seccomp"; flags: number; program: Uint8Array }
  /** Connect to a seccomp agent; the state it gets is `stateParts` joined by the process's host pid. */
  | { op: "seccompListener"; path: string; stateParts: string[] }
  | { op: "umask"; mask: number }
  | { op: "personality"; persona: number }
  /** unshare a time namespace, write its clock offsets, enter it (offsets as [secs, nanosecs]). */
  | { op: "timeNs"; monotonic: [bigint, number]; boottime: [bigint, number] }
  | { op: "writeFile"; path: string; content: Uint8Array; flags: number }
  | { op: "maskPath"; path: string }
  | { op: "readonlyPath"; path: string }
  | { op: "waitStart"; fifo: string }
  | { op: "closeFds"; preserve: number }
  | { op: "tty"; socketFd: number; rows: number; cols: number }
  | { op: "exec"; path: string; args: string[]; env: string[] };

export function toRecord(s: PlanStep): PlanRecord {
  const p = new Payload();
  const rec = (type: number) => ({ type, payload: p.bytes() });
  switch (s.op) {
    case "clone": return (p.u64(s.flags), rec(Rec.CLONE));
    case "cgroupFd": return (p.i32(s.fd), rec(Rec.CGROUP_FD));
    case "setns": return (p.i32(s.nstype).str(s.path), rec(Rec.SETNS));
    case "options": return (p.u32(s.bits), rec(Rec.OPTIONS));
    case "processName": return (p.str(s.name), rec(Rec.PROCESS_NAME));
    case "rootfs": return (p.str(s.path), rec(Rec.ROOTFS));
    case "mount": return (p.u64(s.flags).str(s.source).str(s.target).str(s.fstype).str(s.data), rec(Op.MOUNT));
    case "mkdir": return (p.u32(s.mode).u32(s.flags).str(s.path), rec(Op.MKDIR));
    case "device":
      p.u32(s.mode).u32(s.major).u32(s.minor).u32(s.uid).u32(s.gid).str(s.path).str(s.bindFallback);
      return rec(Op.DEVICE);
    case "symlink": return (p.str(s.target).str(s.linkpath), rec(Op.SYMLINK));
    case "chdir": return (p.str(s.path), rec(Op.CHDIR));
    case "pivotRoot": return (p.str(s.newRoot).str(s.putOld), rec(Op.PIVOT_ROOT));
    case "umount": return (p.u32(s.flags).str(s.path), rec(Op.UMOUNT));
    case "sethostname": return (p.str(s.name), rec(Op.SETHOSTNAME));
    case "setdomainname": return (p.str(s.name), rec(Op.SETDOMAINNAME));
    case "rlimit": return (p.u32(s.resource).u64(s.soft).u64(s.hard), rec(Op.RLIMIT));
    case "unshare": return (p.u64(s.flags), rec(Op.UNSHARE));
    case "chroot": return (p.str(s.path), rec(Op.CHROOT));
    case "setgroups":
      p.u32(s.gids.length);
      for (const g of s.gids) p.u32(g);
      return rec(Op.SETGROUPS);
    case "setgid": return (p.u32(s.gid), rec(Op.SETGID));
    case "setuid": return (p.u32(s.uid), rec(Op.SETUID));
    case "caps":
      p.u64(s.bounding).u64(s.effective).u64(s.permitted).u64(s.inheritable).u64(s.ambient);
      return rec(Op.CAPS);
    case "noNewPrivs": return rec(Op.NO_NEW_PRIVS);
    case "seccomp":
      if (s.program.length % 8 !== 0) throw new Error("seccomp program length is not a multiple of 8");
      return (p.u32(s.flags).u32(s.program.length / 8).raw(s.program), rec(Op.SECCOMP));
    case "seccompListener":
      p.str(s.path).u32(s.stateParts.length);
      for (const part of s.stateParts) p.str(part);
      return rec(Op.SECCOMP_LISTENER);
    case "umask": return (p.u32(s.mask), rec(Op.UMASK));
    case "personality": return (p.u32(s.persona), rec(Op.PERSONALITY));
    case "timeNs": return (p.u64(s.monotonic[0]).u32(s.monotonic[1]).u64(s.boottime[0]).u32(s.boottime[1]), rec(Op.TIME_NS));
    case "writeFile": return (p.u32(s.flags).str(s.path).blob(s.content), rec(Op.WRITE_FILE));
    case "maskPath": return (p.str(s.path), rec(Op.MASK_PATH));
    case "readonlyPath": return (p.str(s.path), rec(Op.READONLY_PATH));
    case "waitStart": return (p.str(s.fifo), rec(Op.WAIT_START));
    case "closeFds": return (p.u32(s.preserve), rec(Op.CLOSE_FDS));
    case "tty": return (p.i32(s.socketFd).u32(s.rows).u32(s.cols), rec(Op.TTY));
    case "exec":
      p.str(s.path).u32(s.args.length);
      for (const a of s.args) p.str(a);
      p.u32(s.env.length);
      for (const e of s.env) p.str(e);
      return rec(Op.EXEC);
  }
}

export const toRecords = (steps: PlanStep[]): PlanRecord[] => steps.map(toRecord);

/** A short human label for an op, used in error messages ("mount proc on /proc"). */
export function describeStep(s: PlanStep): string {
  switch (s.op) {
    case "mount":
      if (s.flags & 0x1000n /* MS_BIND */) return `bind mount ${s.source} on ${s.target}`;
      if (s.flags & 0x20n /* MS_REMOUNT */) return `remount ${s.target}`;
      if (s.fstype === null) return `set propagation of ${s.target}`;
      return `mount ${s.fstype} on ${s.target}`;
    case "mkdir": return `mkdir ${s.path}`;
    case "device": return `create device ${s.path}`;
    case "symlink": return `symlink ${s.linkpath} -> ${s.target}`;
    case "chdir": return `chdir ${s.path}`;
    case "pivotRoot": return `pivot_root ${s.newRoot}`;
    case "umount": return `umount ${s.path}`;
    case "sethostname": return `sethostname ${s.name}`;
    case "setdomainname": return `setdomainname ${s.name}`;
    case "rlimit": return `setrlimit ${s.resource}`;
    case "unshare": return `unshare 0x${s.flags.toString(16)}`;
    case "chroot": return `chroot ${s.path}`;
    case "setgroups": return `setgroups`;
    case "setgid": return `setgid ${s.gid}`;
    case "setuid": return `setuid ${s.uid}`;
    case "caps": return `set capabilities`;
    case "noNewPrivs": return `set no_new_privs`;
    case "seccomp": return `load seccomp filter`;
    case "seccompListener": return `connect to the seccomp agent at ${s.path}`;
    case "umask": return `umask`;
    case "personality": return `personality`;
    case "timeNs": return `set the time namespace's clock offsets (linux.timeOffsets)`;
    case "writeFile": return `write ${s.path}`;
    case "maskPath": return `mask ${s.path}`;
    case "readonlyPath": return `make ${s.path} read-only`;
    case "waitStart": return `wait for start on ${s.fifo}`;
    case "closeFds": return `close inherited fds`;
    case "tty": return `set up the terminal`;
    case "exec": return `exec ${s.path}`;
    default: return s.op;
  }
}

export const isOp = (s: PlanStep) =>
  !["clone", "cgroupFd", "setns", "options", "processName", "rootfs"].includes(s.op);
