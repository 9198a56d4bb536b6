// The TS end of the sync socket: what the shim sent before it went away is
// read even when it left one of our messages unread (the socket is then reset).
import { expect, test } from "bun:test";
import { closeSync } from "node:fs";
import { Msg, Stage } from "../../../src/plan/ids.ts";
import { seqpacketPair } from "../../../src/sys/libc.ts";
import { decodeError, encodeOrphanList, recv, send } from "../../../src/runtime/sync.ts";

function errorPayload(stage: number, index: number, errno: number, object: string): Uint8Array {
  const obj = new TextEncoder().encode(object + "\0");
  const b = new Uint8Array(16 + obj.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, stage, true);
  dv.setInt32(4, index, true);
  dv.setInt32(8, errno, true);
  dv.setUint32(12, obj.length, true);
  b.set(obj, 16);
  return b;
}

test("an ERROR sent just before the peer closed with our CLEANUP unread still arrives, then EOF", () => {
  const [ours, shims] = seqpacketPair();
  try {
    send(ours, Msg.CLEANUP, encodeOrphanList(["/tmp/x"]));
    send(shims, Msg.ERROR, errorPayload(Stage.PLAN, 4, 22, "record 4 (type 0x01fe): unknown op"));
    // Closing with a message unread resets the connection (ECONNRESET on our next read).
    closeSync(shims);
    const m = recv(ours);
    expect(m?.type).toBe(Msg.ERROR);
    expect(decodeError(m!.payload)).toEqual({ stage: Stage.PLAN, opIndex: 4, errno: 22, object: "record 4 (type 0x01fe): unknown op" });
    expect(recv(ours)).toBeNull();
  } finally {
    closeSync(ours);
  }
});

test("a reset with nothing queued is EOF", () => {
  const [ours, shims] = seqpacketPair();
  send(ours, Msg.CLEANUP, encodeOrphanList([]));
  closeSync(shims);
  expect(recv(ours)).toBeNull();
  closeSync(ours);
});
