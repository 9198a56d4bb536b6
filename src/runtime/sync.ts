// TS side of the sync protocol (docs/design/sync-protocol.md). Blocking on
// purpose: setup is a strict request/reply sequence measured in microseconds.
import { readSync, writeSync } from "node:fs";
import { Msg } from "../plan/ids.ts";

export interface Message {
  type: number;
  payload: DataView;
}

const MAX_MESSAGE = 64 * 1024;

export function send(fd: number, type: number, payload: Uint8Array = new Uint8Array()): void {
  const buf = new Uint8Array(8 + payload.length);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, payload.length, true);
  buf.set(payload, 8);
  writeSync(fd, buf);
}

/** Next message, or null at EOF (the shim exited or died). */
export function recv(fd: number): Message | null {
  const buf = new Uint8Array(MAX_MESSAGE);
  let n: number;
  let resets = 0;
  for (;;) {
    try {
      n = readSync(fd, buf);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EINTR" || code === "EAGAIN") continue;
      // A shim that exits with one of our messages unread (a CLEANUP sent
      // before it read its plan) resets the socket: the kernel reports that
      // once, ahead of what the shim sent before exiting (its ERROR), which
      // the next read returns, then EOF.
      if (code === "ECONNRESET" && resets++ === 0) continue;
      if (code === "ECONNRESET") return null;
      throw e;
    }
  }
  if (n === 0) return null;
  if (n < 8) throw new Error(`sync: short message (${n} bytes)`);
  const dv = new DataView(buf.buffer, 0, n);
  const type = dv.getUint32(0, true);
  const len = dv.getUint32(4, true);
  if (len !== n - 8) throw new Error(`sync: message ${type} says ${len} bytes but carries ${n - 8}`);
  return { type, payload: new DataView(buf.buffer, 8, len) };
}

export interface ShimFailure {
  stage: number;
  opIndex: number;
  errno: number;
  object: string;
}

export function decodeError(p: DataView): ShimFailure {
  const stage = p.getUint32(0, true);
  const opIndex = p.getInt32(4, true);
  const errno = p.getInt32(8, true);
  let object = "";
  if (p.byteLength >= 16) {
    const n = p.getUint32(12, true);
    if (n > 0) object = new TextDecoder().decode(new Uint8Array(p.buffer, p.byteOffset + 16, Math.max(0, n - 1)));
  }
  return { stage, opIndex, errno, object };
}

export const i32 = (p: DataView, off = 0) => p.getInt32(off, true);

export function encodeI32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

export const MsgName: Record<number, string> = Object.fromEntries(Object.entries(Msg).map(([k, v]) => [v, k]));

/** SETUP_DONE's payload: directories the shim removes if this process dies mid-run. */
export function encodeOrphanList(dirs: string[], maxBytes = 4000): Uint8Array {
  const enc = new TextEncoder();
  const items: Uint8Array[] = [];
  let size = 4;
  for (const d of dirs) {
    const b = enc.encode(d + "\0");
    if (size + 4 + b.length > maxBytes) break;
    items.push(b);
    size += 4 + b.length;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, items.length, true);
  let off = 4;
  for (const b of items) {
    dv.setUint32(off, b.length, true);
    out.set(b, off + 4);
    off += 4 + b.length;
  }
  return out;
}
