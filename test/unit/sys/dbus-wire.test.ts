import { describe, expect, test } from "bun:test";
import { decodeMessage, encodeMessage, messageLength, MessageType } from "../../../src/sys/dbus/message.ts";
import { authLine, socketPathOf } from "../../../src/sys/dbus/connection.ts";
import { DbusWireError, Reader, splitSignature, Writer } from "../../../src/sys/dbus/wire.ts";

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
