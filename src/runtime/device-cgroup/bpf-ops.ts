// The three kernel calls behind a device program, as a small interface so
// the sequence in attach.ts can be tested without the kernel's say.
import { ptr } from "bun:ffi";
import { closeSync, openSync } from "node:fs";
import { O_CLOEXEC, O_DIRECTORY } from "../../cgroups/fs.ts";
import { bpf } from "../../sys/libc.ts";

export interface BpfOps {
  /** BPF_PROG_LOAD of a cgroup device program; with `log`, the verifier writes its log there. Returns the program's fd. */
  loadDeviceProgram(code: Uint8Array, log?: Uint8Array): number;
  /** O_DIRECTORY|O_RDONLY fd of a cgroup2 directory. */
  openCgroup(dir: string): number;
  /** BPF_PROG_ATTACH at BPF_CGROUP_DEVICE with BPF_F_ALLOW_MULTI. */
  attachDevice(cgroupFd: number, progFd: number): void;
  close(fd: number): void;
}

// From linux/bpf.h.
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
// The kernel reads at most what it knows of union bpf_attr and wants the rest zero.
const ATTR_SIZE = 128;

// The license only gates GPL-only helpers, which this program calls none of.
const LICENSE = new TextEncoder().encode("Apache-2.0\0");
const NAME = "zoo_devices"; // shows in bpftool; prog_name is 16 bytes with the NUL

export const realBpf: BpfOps = {
  loadDeviceProgram(code, log) {
    const attr = new Uint8Array(ATTR_SIZE);
    const v = new DataView(attr.buffer);
    v.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
    v.setUint32(4, code.length / 8, true); // insn_cnt
    v.setBigUint64(8, BigInt(ptr(code)), true); // insns
    v.setBigUint64(16, BigInt(ptr(LICENSE)), true); // license
    if (log) {
      v.setUint32(24, 1, true); // log_level
      v.setUint32(28, log.length, true); // log_size
      v.setBigUint64(32, BigInt(ptr(log)), true); // log_buf
    }
    attr.set(new TextEncoder().encode(NAME), 48); // prog_name
    v.setUint32(68, BPF_CGROUP_DEVICE, true); // expected_attach_type
    return bpf(BPF_PROG_LOAD, attr);
  },
  openCgroup(dir) {
    return openSync(dir, O_DIRECTORY | O_CLOEXEC); // O_RDONLY is 0
  },
  attachDevice(cgroupFd, progFd) {
    const attr = new Uint8Array(ATTR_SIZE);
    const v = new DataView(attr.buffer);
    v.setUint32(0, cgroupFd, true); // target_fd
    v.setUint32(4, progFd, true); // attach_bpf_fd
    v.setUint32(8, BPF_CGROUP_DEVICE, true); // attach_type
    v.setUint32(12, BPF_F_ALLOW_MULTI, true); // attach_flags
    bpf(BPF_PROG_ATTACH, attr);
  },
  close(fd) {
    closeSync(fd);
  },
};
