// A NETLINK_ROUTE socket: send a request, collect replies by sequence number,
// turn NLMSG_ERROR into exceptions. Calls are blocking: rtnetlink answers
// synchronously from the sending syscall's context, and a receive timeout
// guards against a kernel that never answers.
import { SyscallError } from "../../sys/libc.ts";
import { check, EINTR, errno, libc, ptr } from "../sys.ts";
import { AF, NLM_F, NLMSG } from "./constants.ts";
import { decodeMessages, errorCode, type Message } from "./decode.ts";
import { encodeMessage, type Request } from "./encode.ts";

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SOL_NETLINK = 270;
const NETLINK_EXT_ACK = 11;
const MSG_TRUNC = 0x20;

export class NetlinkError extends Error {
  constructor(readonly what: string, readonly errno: number) {
    super(`${what}: ${errnoName(errno)}`);
  }
}

const NAMES: Record<number, string> = {
  1: "operation not permitted", 2: "no such file or directory", 13: "permission denied",
  16: "device or resource busy", 17: "already exists", 19: "no such device", 22: "invalid argument",
  95: "not supported", 99: "cannot assign requested address",
};
export const errnoName = (e: number) => NAMES[e] ?? `errno ${e}`;

/** A request as sent, for the run cache: which namespace, which protocol, and the errno its caller takes as success. */
export interface SentRequest {
  /** The container whose network namespace the socket was made in; null: ours. */
  netnsPid: number | null;
  protocol: number;
  message: Uint8Array;
  okErrno: number;
  /** The first reply that is not the ACK (a GET's answer), once it came. */
  answer?: { type: number; payload: Uint8Array };
}

/** Told every request and transaction any socket sends (the run cache records a run's); must not throw. */
export const netlinkObserver: { sent?: (r: SentRequest) => void; transaction?: (what: string) => void } = {};

export class NetlinkSocket {
  /** Set by netlinkIn (netns.ts): the container whose namespace this socket is in. */
  netnsPid: number | null = null;
  private seq = Math.floor(Date.now() / 1000) & 0xffff;
  private readonly buf = new Uint8Array(65536);
  private closed = false;

  private constructor(
    readonly fd: number,
    readonly protocol: number,
  ) {}

  /** A socket in the calling thread's network namespace, fixed for its lifetime. */
  static open(protocol = NETLINK_ROUTE): NetlinkSocket {
    const c = libc();
    const fd = check("socket(AF_NETLINK)", c.socket(AF.NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
    try {
      const addr = new Uint8Array(12); // sockaddr_nl: family, pad, pid 0 (kernel picks), groups 0
      new DataView(addr.buffer).setUint16(0, AF.NETLINK, true);
      check("bind(AF_NETLINK)", c.bind(fd, ptr(addr), addr.length));
      const tv = new BigInt64Array([5n, 0n]);
      check("setsockopt(SO_RCVTIMEO)", c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16));
      // Extended acks are optional: older kernels refuse the option, which is fine.
      c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, ptr(new Int32Array([1])), 4);
    } catch (e) {
      c.close(fd);
      throw e;
    }
    return new NetlinkSocket(fd, protocol);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc().close(this.fd);
  }

  /**
   * Sends one request and returns the replies to it. Requests always ask for
   * an ack, so a non-dump request ends at the ack and a dump at NLMSG_DONE.
   * `okErrno`: an error the caller catches and takes as success (it still
   * throws); the run cache replays the request with the same tolerance.
   */
  request(what: string, r: Omit<Request, "seq">, okErrno = 0): Message[] {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const flags = r.flags | NLM_F.REQUEST | NLM_F.ACK;
    const msg = encodeMessage({ ...r, flags, seq });
    check("send(netlink)", libc().send(this.fd, ptr(msg), msg.length, 0));
    const seen: SentRequest = { netnsPid: this.netnsPid, protocol: this.protocol, message: msg.slice(), okErrno };
    netlinkObserver.sent?.(seen);
    const dump = (r.flags & NLM_F.DUMP) === NLM_F.DUMP;
    const out: Message[] = [];
    for (;;) {
      for (const m of this.receive()) {
        if (m.seq !== seq) continue; // a late reply to an earlier, abandoned request
        if (m.type === NLMSG.ERROR) {
          const e = errorCode(m);
          if (e !== 0) throw new NetlinkError(what, e);
          if (!dump) return out;
          continue;
        }
        if (m.type === NLMSG.DONE) return out;
        if (out.length === 0 && !dump && netlinkObserver.sent) seen.answer = { type: m.type, payload: m.payload.slice() };
        out.push(m);
      }
    }
  }

  /**
   * A batch (nfnetlink): `begin`, the requests, `end`, in one send; the
   * kernel applies the requests as one transaction. Each request asks for an
   * ack; the first error is thrown.
   */
  transaction(what: string, begin: Omit<Request, "seq" | "flags">, requests: Omit<Request, "seq">[], end: Omit<Request, "seq" | "flags">): void {
    const next = () => (this.seq = (this.seq + 1) >>> 0);
    const pending = new Set<number>();
    const msgs = [
      encodeMessage({ ...begin, flags: NLM_F.REQUEST, seq: next() }),
      ...requests.map((r) => {
        const seq = next();
        pending.add(seq);
        return encodeMessage({ ...r, flags: r.flags | NLM_F.REQUEST | NLM_F.ACK, seq });
      }),
      encodeMessage({ ...end, flags: NLM_F.REQUEST, seq: next() }),
    ];
    const buf = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
    msgs.reduce((off, m) => (buf.set(m, off), off + m.length), 0);
    check("send(netlink)", libc().send(this.fd, ptr(buf), buf.length, 0));
    netlinkObserver.transaction?.(what);
    while (pending.size) {
      for (const m of this.receive()) {
        if (m.type !== NLMSG.ERROR) continue;
        const e = errorCode(m);
        if (e !== 0) throw new NetlinkError(what, e);
        pending.delete(m.seq);
      }
    }
  }

  private receive(): Message[] {
    for (;;) {
      const n = Number(libc().recv(this.fd, ptr(this.buf), this.buf.length, MSG_TRUNC));
      if (n < 0) {
        const e = errno();
        if (e === EINTR) continue;
        throw new SyscallError("recv(netlink)", e);
      }
      // With MSG_TRUNC recv reports the full length, so a cut-off reply is detected.
      if (n > this.buf.length) throw new Error("netlink reply larger than the buffer");
      // Copy: the buffer is reused by the next receive.
      return decodeMessages(this.buf.slice(0, n));
    }
  }
}
