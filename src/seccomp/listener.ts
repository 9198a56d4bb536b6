/**
 * SCMP_ACT_NOTIFY: the filter's listener fd goes to a seccomp agent at
 * `linux.seccomp.listenerPath`, with the "container process state" of the
 * runtime-spec (config-linux.md#seccomp) as the message. The pid in it is the
 * process's pid as the host sees it, which only the shim's child knows (it
 * reads it from the host's /proc before pivot_root), so the state travels as
 * parts that the child joins with that pid.
 */
import { SeccompProfileError } from "./errors.ts";
import type { SeccompFilter } from "./cache.ts";

export interface ListenerContainer {
  ociVersion: string;
  id: string;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface SeccompSetup {
  program: Uint8Array;
  flags: number;
  listener?: { path: string; stateParts: string[] };
}

/** The state message, split where the pid goes (twice: the process's and the container's). */
export function listenerStateParts(c: ListenerContainer, metadata?: string): string[] {
  const j = JSON.stringify;
  return [
    `{"ociVersion":${j(c.ociVersion)},"fds":["seccompFd"],"pid":`,
    `,${metadata ? `"metadata":${j(metadata)},` : ""}"state":{"ociVersion":${j(c.ociVersion)},"id":${j(c.id)},"status":"creating","pid":`,
    `,"bundle":${j(c.bundle)},"annotations":${j(c.annotations ?? {})}}}`,
  ];
}

/** What the plan needs to load `compiled`, and to hand its listener over when it has one. */
export function seccompSetup(
  compiled: SeccompFilter,
  profile: { listenerPath?: unknown; listenerMetadata?: unknown },
  container: ListenerContainer,
): SeccompSetup {
  const { listenerPath: path, listenerMetadata: metadata } = profile;
  if (!compiled.needsListener) return { program: compiled.bytes, flags: compiled.flags };
  if (typeof path !== "string" || path === "") {
    throw new SeccompProfileError("listenerPath", path, "is required with SCMP_ACT_NOTIFY: the unix socket of the seccomp agent that answers the notified syscalls");
  }
  if (!path.startsWith("/")) throw new SeccompProfileError("listenerPath", path, "must be an absolute path");
  if (metadata !== undefined && typeof metadata !== "string") throw new SeccompProfileError("listenerMetadata", metadata, "must be a string");
  return { program: compiled.bytes, flags: compiled.flags, listener: { path, stateParts: listenerStateParts(container, metadata) } };
}
