import { describe, expect, test } from "bun:test";
import { decodeMessage, encodeMessage, messageLength, MessageType } from "../../../src/sys/dbus/message.ts";
import { authLine, socketPathOf } from "../../../src/sys/dbus/connection.ts";
import { DbusWireError, Reader, splitSignature, Writer } from "../../../src/sys/dbus/wire.ts";
import { scopeProperties } from "../../../src/cgroups/systemd/unit.ts";
import * as CAP from "./dbus-captured.ts";

const hex = (b: Buffer) => b.toString("hex");

describe("signatures", () => {
  test("split into complete types", () => {
    expect(splitSignature("ssa(sv)a(sa(sv))")).toEqual(["s", "s", "a(sv)", "a(sa(sv))"]);
    expect(splitSignature("a{sv}uv")).toEqual(["a{sv}", "u", "v"]);
    expect(splitSignature("")).toEqual([]);
  });
  test("malformed ones are refused", () => {
    expect(() => splitSignature("a")).toThrow(DbusWireError);
    expect(() => splitSignature("(su")).toThrow(/unclosed/);
    expect(() => splitSignature("z")).toThrow(/unknown type code/);
  });
});

describe("alignment and padding", () => {
  test("a byte then a uint32 pads to 4; a uint64 to 8", () => {
    expect(hex(new Writer().write("y", 1).write("u", 2).bytes())).toBe("01000000" + "02000000");
    expect(hex(new Writer().write("y", 1).write("t", 3n).bytes())).toBe("0100000000000000" + "0300000000000000");
  });
  test("strings: length, bytes, NUL; signatures with a one-byte length", () => {
    expect(hex(new Writer().write("s", "ab").bytes())).toBe("02000000" + "616200");
    expect(hex(new Writer().write("g", "au").bytes())).toBe("02" + "617500");
  });
  test("an empty array of structs still pads to 8 after its length, which excludes the padding", () => {
    expect(hex(new Writer().write("a(sv)", []).bytes())).toBe("00000000" + "00000000");
  });
  test("array length counts from the first element, not from the padding", () => {
    // u32 length 16 | pad to 8 | struct(y=1, pad, u=2) | struct(y=3, pad, u=4)
    const b = new Writer().write("a(yu)", [[1, 2], [3, 4]]).bytes();
    expect(hex(b)).toBe("10000000" + "00000000" + "0100000002000000" + "0300000004000000");
    expect(new Reader(b).read("a(yu)")).toEqual([[1, 2], [3, 4]]);
  });
  test("variants carry their signature; booleans are 32-bit", () => {
    const b = new Writer().write("v", { sig: "b", value: true }).bytes();
    expect(hex(b)).toBe("01" + "6200" + "00" + "01000000");
    expect(new Reader(b).read("v")).toEqual({ sig: "b", value: true });
  });
  test("a reader aligns relative to the message, not to its slice", () => {
    const r = new Reader(Buffer.from("0000000005000000", "hex"), 0, 4);
    expect(r.read("u")).toBe(0);
    expect(r.read("u")).toBe(5);
  });
  test("truncated and lying input fails cleanly", () => {
    expect(() => new Reader(Buffer.from("0500000061", "hex")).read("s")).toThrow(/truncated/);
    expect(() => new Reader(Buffer.from("02000000", "hex")).read("b")).toThrow(/neither 0 nor 1/);
    expect(() => new Reader(Buffer.from("0200000061626300", "hex")).read("s")).toThrow(/NUL-terminated/);
  });
  test("every basic type round-trips", () => {
    const sig = "ybnqiuxtdsog";
    const vals = [255, true, -2, 65535, -5, 0xffffffff, -(2n ** 40n), 2n ** 63n, 1.5, "héllo", "/a/b", "a{sv}"];
    const b = new Writer().writeAll(sig, vals).bytes();
    expect(new Reader(b).readAll(sig)).toEqual(vals);
  });
});

describe("messages", () => {
  test("encode → decode keeps every field and the body", () => {
    const m = {
      type: MessageType.MethodCall,
      flags: 0,
      serial: 7,
      destination: "org.freedesktop.systemd1",
      path: "/org/freedesktop/systemd1",
      interface: "org.freedesktop.systemd1.Manager",
      member: "StartTransientUnit",
      signature: "ssa(sv)a(sa(sv))",
      body: ["zookeeper-42.scope", "fail", [["PIDs", { sig: "au", value: [42] }], ["Delegate", { sig: "b", value: true }]], []],
    };
    const b = encodeMessage(m);
    expect(b.length % 8 === 0 || messageLength(b) === b.length).toBe(true);
    expect(decodeMessage(b)).toMatchObject(m);
  });

  test("a message whose header is not complete has no length yet", () => {
    expect(messageLength(Buffer.from("6c0100", "hex"))).toBeUndefined();
    expect(() => messageLength(Buffer.from("42010001000000000100000000000000", "hex"))).toThrow(/little-endian/);
  });
});

describe("connection setup", () => {
  test("EXTERNAL names the uid as hex of its decimal digits", () => {
    expect(authLine(1000)).toBe("\0AUTH EXTERNAL 31303030\r\n");
    expect(authLine(0)).toBe("\0AUTH EXTERNAL 30\r\n");
  });
  test("bus addresses", () => {
    expect(socketPathOf("unix:path=/run/user/1000/bus")).toBe("/run/user/1000/bus");
    expect(socketPathOf("tcp:host=x;unix:path=/a%20b,guid=1")).toBe("/a b");
    expect(socketPathOf("unix:abstract=/tmp/dbus-x")).toBe("\0/tmp/dbus-x");
    expect(() => socketPathOf("tcp:host=localhost,port=1")).toThrow(/no unix:path/);
  });
});

describe("messages captured from a real bus (test/unit/sys/dbus-captured.ts)", () => {
  /** What dbus-daemon does to a message it relays: append a SENDER field (code 7) to the header. */
  function relayed(msg: Buffer, sender: string): Buffer {
    const fieldsLen = msg.readUInt32LE(12);
    const headerEnd = 16 + fieldsLen + ((8 - (fieldsLen % 8)) % 8);
    const field = new Writer().write("(yv)", [7, { sig: "s", value: sender }]).bytes();
    const head = Buffer.concat([msg.subarray(0, headerEnd), field]);
    head.writeUInt32LE(headerEnd - 16 + field.length, 12);
    const pad = Buffer.alloc((8 - (head.length % 8)) % 8);
    return Buffer.concat([head, pad, msg.subarray(headerEnd)]);
  }
  const bytes = (h: string) => Buffer.from(h, "hex");

  test("zookeeper's StartTransientUnit is byte for byte what the bus carried", () => {
    const ours = encodeMessage({
      type: MessageType.MethodCall,
      flags: 0,
      serial: 2,
      destination: "org.freedesktop.systemd1",
      path: "/org/freedesktop/systemd1",
      interface: "org.freedesktop.systemd1.Manager",
      member: "StartTransientUnit",
      signature: "ssa(sv)a(sa(sv))",
      body: ["zookeeper-351.scope", "fail", scopeProperties({ unit: "zookeeper-351.scope", pid: 351, description: "zookeeper container", slice: "zoo.slice" }), []],
    });
    expect(hex(relayed(ours, ":1.5"))).toBe(CAP.ZOOKEEPER_START_TRANSIENT_UNIT);
  });

  test("sd-bus's own StartTransientUnit (busctl; other field order, ALLOW_INTERACTIVE_AUTHORIZATION) decodes", () => {
    const m = decodeMessage(bytes(CAP.BUSCTL_START_TRANSIENT_UNIT));
    expect(m).toMatchObject({ type: MessageType.MethodCall, flags: 4, serial: 2, member: "StartTransientUnit", sender: ":1.6", signature: "ssa(sv)a(sa(sv))" });
    expect(m.body).toEqual(["cap-test.scope", "fail", [["PIDs", { sig: "au", value: [347] }], ["Delegate", { sig: "b", value: true }]], []]);
  });

  test("replies and signals from dbus-daemon and systemd decode", () => {
    expect(decodeMessage(bytes(CAP.HELLO_REPLY))).toMatchObject({ type: MessageType.MethodReturn, replySerial: 1, sender: "org.freedesktop.DBus", body: [":1.5"] });
    expect(decodeMessage(bytes(CAP.START_REPLY))).toMatchObject({ type: MessageType.MethodReturn, replySerial: 2, destination: ":1.5", body: ["/org/freedesktop/systemd1/job/148"] });
    expect(decodeMessage(bytes(CAP.JOB_REMOVED))).toMatchObject({
      type: MessageType.Signal,
      member: "JobRemoved",
      signature: "uoss",
      body: [149, "/org/freedesktop/systemd1/job/149", "zoo.slice", "done"],
    });
  });

  test("a message split anywhere is only complete once all of it arrived", () => {
    const b = bytes(CAP.ZOOKEEPER_START_TRANSIENT_UNIT);
    expect(messageLength(b)).toBe(b.length);
    expect(() => decodeMessage(b.subarray(0, b.length - 1))).toThrow(/truncated/);
  });
});
