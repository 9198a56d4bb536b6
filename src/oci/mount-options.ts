// OCI mount "options" → mount(2) flags + filesystem data, as mount(8) reads them.
export const MS = {
  RDONLY: 0x1n, NOSUID: 0x2n, NODEV: 0x4n, NOEXEC: 0x8n, SYNCHRONOUS: 0x10n, REMOUNT: 0x20n,
  MANDLOCK: 0x40n, DIRSYNC: 0x80n, NOSYMFOLLOW: 0x100n, NOATIME: 0x400n, NODIRATIME: 0x800n,
  BIND: 0x1000n, MOVE: 0x2000n, REC: 0x4000n, SILENT: 0x8000n, UNBINDABLE: 0x20000n,
  PRIVATE: 0x40000n, SLAVE: 0x80000n, SHARED: 0x100000n, RELATIME: 0x200000n,
  STRICTATIME: 0x1000000n, LAZYTIME: 0x2000000n,
} as const;

const SET: Record<string, bigint> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  remount: MS.REMOUNT, mand: MS.MANDLOCK, dirsync: MS.DIRSYNC, nosymfollow: MS.NOSYMFOLLOW,
  noatime: MS.NOATIME, nodiratime: MS.NODIRATIME, bind: MS.BIND, rbind: MS.BIND | MS.REC,
  relatime: MS.RELATIME, strictatime: MS.STRICTATIME, lazytime: MS.LAZYTIME, silent: MS.SILENT,
};
const CLEAR: Record<string, bigint> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK, atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME, loud: MS.SILENT, defaults: 0n,
};
export const PROPAGATION: Record<string, bigint> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

export interface ParsedMountOptions {
  flags: bigint;
  propagation: bigint;
  data: string[];
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0n;
  let propagation = 0n;
  const data: string[] = [];
  for (const o of options) {
    if (o in SET) flags |= SET[o]!;
    else if (o in CLEAR) flags &= ~CLEAR[o]!;
    else if (o in PROPAGATION) propagation = PROPAGATION[o]!;
    else data.push(o);
  }
  return { flags, propagation, data };
}
