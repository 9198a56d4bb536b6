// Is a host port free? Binding it briefly on every address is the check the
// user would do; it catches host services that DNAT would otherwise shadow.
import { ZooError } from "../../util/errors.ts";
import type { PortMapping } from "../publish.ts";

export async function checkHostPortsFree(ports: PortMapping[]): Promise<void> {
  for (const m of ports) {
    const err = m.protocol === "tcp" ? tryTcp(m.hostPort) : await tryUdp(m.hostPort);
    if (err) throw new ZooError(`host port ${m.hostPort}/${m.protocol} is already in use (${err}): choose another with -p`);
  }
}

function tryTcp(port: number): string | null {
  try {
    const l = Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } });
    l.stop(true);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

function tryUdp(port: number): Promise<string | null> {
  // Loaded on use: every `zoo run` loads this file, few publish UDP ports.
  const { createSocket } = require("node:dgram") as typeof import("node:dgram");
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", (e: NodeJS.ErrnoException) => {
      s.close();
      resolve(e.code ?? e.message);
    });
    s.bind(port, "0.0.0.0", () => s.close(() => resolve(null)));
  });
}
