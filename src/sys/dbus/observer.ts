// Who is told of every D-Bus method call zoo sends (the run cache records a
// `zoo run`'s calls to systemd). Apart from connection.ts so that setting it
// does not load the client, which loads node:net.
import type { DbusValue } from "./wire.ts";

export interface SentCall {
  socketPath: string;
  uid: number;
  serial: number;
  options: { destination?: string; path: string; interface: string; member: string; signature?: string; body?: DbusValue[] };
  /** The message as sent. */
  bytes: Uint8Array;
}

/** `sent` must not throw. */
export const dbusObserver: { sent?: (c: SentCall) => void } = {};
