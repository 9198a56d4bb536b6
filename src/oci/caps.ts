// Linux capability numbers (capability.h); the index in this list is the bit.
export const CAPABILITIES = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
  "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
  "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
] as const;

export type CapName = (typeof CAPABILITIES)[number];

export const ALL_CAPS: readonly string[] = CAPABILITIES;

export function capBit(name: string): bigint | undefined {
  const i = (CAPABILITIES as readonly string[]).indexOf(name.toUpperCase());
  return i < 0 ? undefined : 1n << BigInt(i);
}

/** Caps mask from names; unknown names throw with the field that carried them. */
export function capMask(names: readonly string[] | undefined, field: string): bigint {
  let m = 0n;
  for (const n of names ?? []) {
    const b = capBit(n);
    if (b === undefined) throw new Error(`${field}: unknown capability "${n}"`);
    m |= b;
  }
  return m;
}

export function capNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
