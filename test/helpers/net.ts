// Shared by the network tests: the user-mode helpers' processes, and a
// client for a container's one-shot TCP server behind a published port.
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";

/** Live (not zombie) helper processes: pasta re-executes itself as passt.avx2. */
export function helperPids(): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const state = stat[stat.lastIndexOf(")") + 2];
      if (state !== "Z" && /^(slirp4netns|pasta|passt)/.test(name)) out.push(Number(e));
    } catch {}
  }
  return out.sort();
}

/** Connects to 127.0.0.1:port until the container's one-shot server answers. */
export async function fetchBanner(port: number, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const got = await new Promise<string>((resolve) => {
      let data = "";
      const s = connect({ host: "127.0.0.1", port });
      s.setTimeout(2000, () => s.destroy());
      s.on("data", (d) => (data += d.toString()));
      s.on("error", () => resolve(""));
      s.on("close", () => resolve(data));
    });
    if (got) return got;
    await Bun.sleep(100);
  }
  return "";
}

export const randomPort = () => 20000 + Math.floor(Math.random() * 20000);
