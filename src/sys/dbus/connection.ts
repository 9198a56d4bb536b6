// A minimal D-Bus client: connect to a unix socket, EXTERNAL auth, Hello,
// method calls matched to their replies. Enough for systemd's manager API.
import { createConnection, type Socket } from "node:net";
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from "./message.ts";
import type { DbusValue } from "./wire.ts";
import { dbusObserver } from "./observer.ts";

export class DbusError extends Error {
  override name = "DbusError";
  constructor(
    message: string,
    /** The D-Bus error name (org.freedesktop.DBus.Error.*), when the peer sent one. */
    readonly dbusName?: string,
  ) {
    super(message);
  }
}

/** The socket path of a bus address ("unix:path=/run/user/1000/bus;..."); abstract sockets get their leading NUL. */
export function socketPathOf(address: string): string {
  for (const entry of address.split(";")) {
    const [transport, rest = ""] = entry.split(/:(.*)/s);
    if (transport !== "unix") continue;
    const kv = new Map(rest.split(",").map((p) => p.split(/=(.*)/s) as [string, string]));
    const unescape = (s: string) => s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (kv.has("path")) return unescape(kv.get("path")!);
    if (kv.has("abstract")) return "\0" + unescape(kv.get("abstract")!);
  }
  throw new DbusError(`bus address "${address}" has no unix:path= or unix:abstract= entry`);
}

/** The first line the client sends: a NUL, then EXTERNAL auth naming our uid as hex-encoded decimal digits. */
export function authLine(uid: number): string {
  return `\0AUTH EXTERNAL ${Buffer.from(String(uid)).toString("hex")}\r\n`;
}

export interface CallOptions {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: DbusValue[];
}

export class DbusConnection {
  private serial = 0;
  private buf: Buffer = Buffer.alloc(0);
  private pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private closedError: Error | undefined;
  /** Signals that arrived, for callers that wait for one (e.g. JobRemoved). */
  private signalWaiters: ((m: Message) => void)[] = [];

  private constructor(
    private readonly sock: Socket,
    private readonly socketPath: string,
    private readonly uid: number,
  ) {}

  /** Connects, authenticates and, on a message bus, says Hello (peer-to-peer sockets such as /run/systemd/private skip it). */
  static async open(address: string, opts: { uid?: number; hello?: boolean; timeoutMs?: number } = {}): Promise<DbusConnection> {
    const path = socketPathOf(address);
    const uid = opts.uid ?? process.geteuid?.() ?? 0;
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ path });
      s.once("connect", () => resolve(s));
      s.once("error", (e) => reject(new DbusError(`cannot connect to ${path.replace("\0", "@")}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    });
    const timer = setTimeout(() => sock.destroy(new Error("timed out")), opts.timeoutMs ?? 10_000);
    try {
      await authenticate(sock, uid);
    } catch (e) {
      sock.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const c = new DbusConnection(sock, path, uid);
    sock.on("data", (d: Buffer) => c.onData(d));
    sock.on("error", (e) => c.fail(new DbusError(`bus connection: ${e.message}`)));
    sock.on("close", () => c.fail(new DbusError("the bus closed the connection")));
    if (opts.hello !== false) {
      await c.call({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello" });
    }
    return c;
  }

  private fail(e: Error) {
    if (this.closedError) return;
    this.closedError = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private onData(d: Buffer) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      let n: number | undefined;
      let m: Message;
      try {
        n = messageLength(this.buf);
        if (n === undefined || this.buf.length < n) return;
        m = decodeMessage(this.buf.subarray(0, n));
      } catch (e) {
        this.fail(e as Error);
        this.sock.destroy();
        return;
      }
      this.buf = this.buf.subarray(n);
      if (m.type === MessageType.Signal) {
        for (const w of this.signalWaiters) w(m);
        continue;
      }
      const p = m.replySerial !== undefined ? this.pending.get(m.replySerial) : undefined;
      if (!p) continue;
      this.pending.delete(m.replySerial!);
      p.resolve(m);
    }
  }

  /** Calls a method and returns the reply's body; a D-Bus error reply rejects with its name and text. */
  async call(o: CallOptions): Promise<DbusValue[]> {
    if (this.closedError) throw this.closedError;
    const serial = ++this.serial;
    const msg = encodeMessage({
      type: MessageType.MethodCall,
      flags: 0,
      serial,
      destination: o.destination,
      path: o.path,
      interface: o.interface,
      member: o.member,
      signature: o.signature ?? "",
      body: o.body ?? [],
    });
    dbusObserver.sent?.({ socketPath: this.socketPath, uid: this.uid, serial, options: o, bytes: msg });
    const reply = await new Promise<Message>((resolve, reject) => {
      this.pending.set(serial, { resolve, reject });
      this.sock.write(msg);
    });
    if (reply.type === MessageType.Error) {
      const text = typeof reply.body[0] === "string" ? reply.body[0] : "";
      throw new DbusError(`${o.member}: ${text || reply.errorName}`, reply.errorName);
    }
    return reply.body;
  }

  /** Resolves with the first signal `match` accepts (register before the call that causes it). */
  waitForSignal(match: (m: Message) => boolean, timeoutMs: number): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const done = (m: Message | undefined) => {
        clearTimeout(timer);
        this.signalWaiters = this.signalWaiters.filter((w) => w !== waiter);
        resolve(m);
      };
      const waiter = (m: Message) => {
        if (match(m)) done(m);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.signalWaiters.push(waiter);
    });
  }

  close() {
    this.closedError ??= new DbusError("connection closed");
    this.sock.destroy();
  }
}

/** The SASL exchange: our EXTERNAL line, the server's OK, then BEGIN. */
function authenticate(sock: Socket, uid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = "";
    const onData = (d: Buffer) => {
      got += d.toString("latin1");
      const nl = got.indexOf("\r\n");
      if (nl < 0) return;
      sock.off("data", onData);
      sock.off("error", onError);
      const line = got.slice(0, nl);
      if (!line.startsWith("OK ")) {
        reject(new DbusError(`the bus refused EXTERNAL authentication as uid ${uid} (${line.trim() || "no answer"})`));
        return;
      }
      sock.write("BEGIN\r\n");
      resolve();
    };
    const onError = (e: Error) => reject(new DbusError(`bus authentication: ${e.message}`));
    sock.on("data", onData);
    sock.on("error", onError);
    sock.write(authLine(uid));
  });
}
