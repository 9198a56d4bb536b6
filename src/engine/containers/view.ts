// A container as ps and inspect show it, in Docker's field names.
import type { ContainerConfig, ContainerState } from "./store.ts";
import { humanDuration } from "./format.ts";

export interface Record {
  config: ContainerConfig;
  state: ContainerState;
}

const healthText = (s: ContainerState) =>
  !s.health ? "" : s.health.status === "starting" ? " (health: starting)" : ` (${s.health.status})`;

export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string) => humanDuration(now - Date.parse(t));
  switch (s.status) {
    case "created":
      return "Created";
    case "running":
      return `Up ${since(s.startedAt)}${healthText(s)}`;
    case "paused":
      return `Up ${since(s.startedAt)} (Paused)`;
    case "restarting":
      return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case "removing":
      return "Removal In Progress";
    default:
      return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
  }
}

export function portsText(c: ContainerConfig, s: ContainerState): string {
  if (s.status !== "running" && s.status !== "paused") return "";
  return c.flags.publish.map((p) => `0.0.0.0:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(", ");
}

const quoteCommand = (args: string[]) => {
  const cmd = args.join(" ");
  return `"${cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd}"`;
};

/** `zoo ps --format` fields. */
export function psRow(r: Record, now = Date.now()) {
  const { config: c, state: s } = r;
  return {
    ID: c.id.slice(0, 12),
    Image: c.image,
    Command: quoteCommand(c.args),
    CreatedAt: c.created,
    RunningFor: `${humanDuration(now - Date.parse(c.created))} ago`,
    Status: statusText(s, now),
    State: s.status,
    Ports: portsText(c, s),
    Names: c.name,
    Networks: c.flags.network ?? (c.rootless ? "pasta" : "bridge"),
    Labels: "",
    Mounts: "",
    Size: "",
  };
}

/** `zoo inspect`: Docker's shape, the fields zoo knows. */
export function inspectDoc(r: Record, logPath: string) {
  const { config: c, state: s } = r;
  const b = s.resources?.bridge;
  const ports: { [k: string]: { HostIp: string; HostPort: string }[] } = {};
  for (const p of c.flags.publish) {
    (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: "0.0.0.0", HostPort: String(p.hostPort) });
  }
  const net = b ? { IPAddress: b.ip, IPPrefixLen: b.prefix, Gateway: b.gateway } : { IPAddress: "", IPPrefixLen: 0, Gateway: "" };
  return {
    Id: c.id,
    Created: c.created,
    Path: c.args[0],
    Args: c.args.slice(1),
    State: {
      Status: s.status,
      Running: s.status === "running" || s.status === "paused",
      Paused: s.status === "paused",
      Restarting: s.status === "restarting",
      OOMKilled: s.oomKilled,
      Dead: s.status === "dead",
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health ? { Health: { Status: s.health.status, FailingStreak: s.health.failingStreak, Log: s.health.log } } : {}),
    },
    Image: c.imageId,
    LogPath: logPath,
    Name: `/${c.name}`,
    RestartCount: s.restartCount,
    Driver: "overlay",
    Platform: "linux",
    HostConfig: {
      NetworkMode: c.flags.network ?? (c.rootless ? "pasta" : "bridge"),
      RestartPolicy: { Name: c.restart.name, MaximumRetryCount: c.restart.maxRetries },
      AutoRemove: c.flags.rm,
      LogConfig: { Type: "k8s-file", Config: { "max-size": String(c.log.maxSize), "max-file": String(c.log.maxFiles) } },
      Memory: c.flags.memory ?? 0,
      NanoCpus: c.flags.cpus ? Math.round(c.flags.cpus * 1e9) : 0,
      PidsLimit: c.flags.pidsLimit ?? 0,
      Privileged: c.flags.privileged,
      CapAdd: c.flags.capAdd,
      CapDrop: c.flags.capDrop,
      PortBindings: ports,
    },
    Config: {
      Hostname: c.hostname,
      Env: c.flags.env,
      Cmd: c.flags.command.length ? c.flags.command : null,
      Image: c.image,
      WorkingDir: c.flags.workdir ?? "",
      ...(c.health
        ? { Healthcheck: { Test: ["CMD-SHELL", c.health.cmd], Interval: c.health.intervalMs * 1e6, Timeout: c.health.timeoutMs * 1e6, Retries: c.health.retries, StartPeriod: c.health.startPeriodMs * 1e6 } }
        : {}),
    },
    NetworkSettings: {
      ...net,
      Ports: ports,
      Networks: b ? { [b.network]: { ...net, NetworkID: b.bridge } } : {},
    },
  };
}
