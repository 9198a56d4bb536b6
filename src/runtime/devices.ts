import type { Device } from "../oci/spec.ts";

// The devices the OCI runtime spec says every container gets.
export const DEFAULT_DEVICES: Device[] = [
  { type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o666 },
  { type: "c", path: "/dev/zero", major: 1, minor: 5, fileMode: 0o666 },
  { type: "c", path: "/dev/full", major: 1, minor: 7, fileMode: 0o666 },
  { type: "c", path: "/dev/random", major: 1, minor: 8, fileMode: 0o666 },
  { type: "c", path: "/dev/urandom", major: 1, minor: 9, fileMode: 0o666 },
  { type: "c", path: "/dev/tty", major: 5, minor: 0, fileMode: 0o666 },
];

export const DEV_SYMLINKS: [string, string][] = [
  ["/dev/fd", "/proc/self/fd"],
  ["/dev/stdin", "/proc/self/fd/0"],
  ["/dev/stdout", "/proc/self/fd/1"],
  ["/dev/stderr", "/proc/self/fd/2"],
  ["/dev/ptmx", "pts/ptmx"],
];
