// /etc/hosts and /etc/resolv.conf for a container, written on the host and
// bind-mounted in. Pure text builders; writing in place (same inode) matters
// because the container sees the file through a bind mount.
export interface HostEntry {
  ip: string;
  names: string[];
}

export function hostsFile(own: HostEntry | null, hostname: string, others: HostEntry[] = []): string {
  const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
  // Without an address of its own (none, user-mode), the hostname still resolves, to loopback.
  lines.push(own ? `${own.ip}\t${unique([hostname, ...own.names]).join(" ")}` : `127.0.1.1\t${hostname}`);
  for (const o of others) if (o.names.length) lines.push(`${o.ip}\t${unique(o.names).join(" ")}`);
  return lines.join("\n") + "\n";
}

const unique = (xs: string[]) => [...new Set(xs.filter(Boolean))];

/**
 * The host's resolvers, minus loopback ones (a container cannot reach the
 * host's 127.0.0.53); search and options lines are kept.
 */
export function resolvFromHost(hostText: string, fallback: string[] = []): string {
  const keep: string[] = [];
  let servers = 0;
  for (const line of hostText.split("\n")) {
    const t = line.trim();
    const m = /^nameserver\s+(\S+)/.exec(t);
    if (m) {
      if (/^127\.|^::1$/.test(m[1]!)) continue;
      servers++;
      keep.push(`nameserver ${m[1]}`);
    } else if (/^(search|domain|options)\s/.test(t)) {
      keep.push(t);
    }
  }
  if (servers === 0) keep.push(...fallback.map((s) => `nameserver ${s}`));
  return `# written by zoo\n${keep.join("\n")}\n`;
}
