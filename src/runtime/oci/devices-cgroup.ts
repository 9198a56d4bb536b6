// linux.resources.devices on a cgroup v1 devices hierarchy, with runc's
// rules: the config's rules in order, then every device node the container
// gets (linux.devices and the defaults) allowed, plus mknod of any device
// and the pty devices. Applied after the container is set up and before its
// command runs (create, with init blocked on the start fifo): device nodes are
// made and stdio opened before, and an open fd is never checked again.
import { closeSync, constants as fsc, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { CgroupPath } from "../../cgroups/index.ts";
import type { Device } from "../../oci/spec.ts";
import { RuntimeError } from "./errors.ts";

export interface DeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

// runc's AllowedDevices (libcontainer/specconv), as rules.
const DEFAULT_RULES: DeviceRule[] = [
  { allow: true, type: "c", access: "m" },
  { allow: true, type: "b", access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { allow: true, type: "c", major: 136, access: "rwm" }, // /dev/pts/*
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }, // net/tun
];

const id = (n: number | undefined) => (n === undefined || n < 0 ? "*" : String(n));

/** The writes, in order: [file, line] for devices.allow / devices.deny. */
export function deviceWrites(rules: DeviceRule[], nodes: Device[]): [string, string][] {
  const all = [
    ...rules,
    ...nodes.filter((d) => d.type === "c" || d.type === "b").map((d): DeviceRule => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: "rwm" })),
    ...DEFAULT_RULES,
  ];
  return all.map((r, i) => {
    const type = r.type ?? "a";
    if (!["a", "b", "c"].includes(type)) throw new RuntimeError(`linux.resources.devices[${i}].type: ${JSON.stringify(type)}: want a, b or c`);
    const access = r.access ?? "rwm";
    if (!/^[rwm]{1,3}$/.test(access)) throw new RuntimeError(`linux.resources.devices[${i}].access: ${JSON.stringify(access)}: want letters of rwm`);
    const line = type === "a" ? `a *:* ${access}` : `${type} ${id(r.major)}:${id(r.minor)} ${access}`;
    return [r.allow ? "devices.allow" : "devices.deny", line];
  });
}

/** Writes the rules into the container's devices cgroup; false when it has none (rootless, v2 only). */
export function applyDeviceRules(paths: CgroupPath[], rules: DeviceRule[], nodes: Device[]): boolean {
  const dir = paths.find((p) => p.version === 1 && p.controllers.includes("devices"))?.dir;
  if (!dir) return false;
  // The kernel takes one rule per write(2), so one open fd per file serves them all.
  const fds = new Map<string, number>();
  try {
    for (const [file, line] of deviceWrites(rules, nodes)) {
      const path = join(dir, file);
      try {
        let fd = fds.get(file);
        if (fd === undefined) fds.set(file, (fd = openSync(path, fsc.O_WRONLY)));
        writeSync(fd, line);
      } catch (e) {
        throw new RuntimeError(`linux.resources.devices: writing "${line}" to ${path}: ${(e as Error).message}`);
      }
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return true;
}
