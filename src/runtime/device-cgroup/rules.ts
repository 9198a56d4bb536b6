// The device rules a container gets, in runc's order: deny everything, the
// config's linux.resources.devices in order, then every device node the
// container gets (linux.devices and the defaults) allowed, plus mknod of any
// device and the pty devices. The same list feeds the v1 devices.allow/deny
// writes (v1.ts) and the v2 eBPF program (emulate.ts, program.ts), so both
// hierarchies enforce the same thing.
import type { Device } from "../../oci/spec.ts";
import { RuntimeError } from "../oci/errors.ts";

export interface DeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

/** Access bits as the kernel numbers them (BPF_DEVCG_ACC_* and the v1 ACC_*). */
export const ACC_MKNOD = 1;
export const ACC_READ = 2;
export const ACC_WRITE = 4;
export const ACC_ALL = ACC_MKNOD | ACC_READ | ACC_WRITE;

/** One validated rule; null major/minor is the "*" wildcard. */
export interface Rule {
  allow: boolean;
  type: "a" | "b" | "c";
  major: number | null;
  minor: number | null;
  access: number;
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

const DENY_ALL: DeviceRule = { allow: false, type: "a", access: "rwm" };

const idOf = (n: number | undefined) => (n === undefined || n < 0 ? null : n);
const accessBits = (s: string) => (s.includes("m") ? ACC_MKNOD : 0) | (s.includes("r") ? ACC_READ : 0) | (s.includes("w") ? ACC_WRITE : 0);

/**
 * Every rule the container gets, validated, in the order they apply. Bad
 * config rules are named by their index in linux.resources.devices.
 */
export function containerRules(config: DeviceRule[], nodes: Device[]): Rule[] {
  // A fresh v1 cgroup inherits its parent's (usually allow-all) list; runc
  // starts from deny-all on both hierarchies, and so do we. A leading "a"
  // rule resets the list anyway, so it needs no deny-all before it.
  const lead = config.length > 0 && (config[0]!.type ?? "a") === "a" ? [] : [DENY_ALL];
  const nodeRules = nodes
    .filter((d) => d.type === "c" || d.type === "b")
    .map((d) => check({ allow: true, type: d.type, major: d.major, minor: d.minor, access: "rwm" }, `linux.devices ${d.path}`));
  return [
    ...lead.map((r) => check(r, "deny-all")),
    ...config.map((r, i) => check(r, `linux.resources.devices[${i}]`)),
    ...nodeRules,
    ...DEFAULT_RULES.map((r) => check(r, "default rule")),
  ];
}

// Majors and minors are 32-bit in the kernel (and 12 and 20 bits in a dev_t);
// the eBPF program compares them as signed 32-bit immediates.
const MAX_ID = 0x7fffffff;

function check(r: DeviceRule, where: string): Rule {
  const type = r.type ?? "a";
  if (type !== "a" && type !== "b" && type !== "c") throw new RuntimeError(`${where}.type: ${JSON.stringify(type)}: want a, b or c`);
  const access = r.access ?? "rwm";
  if (!/^[rwm]{1,3}$/.test(access)) throw new RuntimeError(`${where}.access: ${JSON.stringify(access)}: want letters of rwm`);
  for (const k of ["major", "minor"] as const) {
    const n = r[k];
    if (n !== undefined && (!Number.isInteger(n) || n > MAX_ID)) throw new RuntimeError(`${where}.${k}: ${n}: want a whole number up to ${MAX_ID}, or -1 for any`);
  }
  return { allow: r.allow, type, major: idOf(r.major), minor: idOf(r.minor), access: accessBits(access) };
}

/** The letters of an access mask, in devices.list order. */
export const accessLetters = (a: number) => `${a & ACC_READ ? "r" : ""}${a & ACC_WRITE ? "w" : ""}${a & ACC_MKNOD ? "m" : ""}`;
