// ps, inspect, port, top: read-only views (after repairing what needs it).
import { defaultStoreRoot } from "../../image/store.ts";
import { ContainerCgroup } from "../../cgroups/index.ts";
import { UsageError, ZooError } from "../../util/errors.ts";
import { repair } from "./finalize.ts";
import { renderTemplate, table } from "./format.ts";
import { Containers } from "./store.ts";
import { inspectDoc, portsText, psRow, type Record } from "./view.ts";

export const containers = () => new Containers(defaultStoreRoot());

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  latest: boolean;
  filters: string[];
  format?: string;
}

function matches(r: Record, filters: string[]): boolean {
  for (const f of filters) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new UsageError(`ps: bad --filter "${f}": give KEY=VALUE (name, id, status, exited, ancestor)`);
    const [k, v] = [f.slice(0, eq), f.slice(eq + 1)];
    const ok =
      k === "name" ? new RegExp(v).test(r.config.name)
      : k === "id" ? r.config.id.startsWith(v)
      : k === "status" ? r.state.status === v
      : k === "exited" ? r.state.status === "exited" && String(r.state.exitCode) === v
      : k === "ancestor" ? r.config.image === v
      : (() => {
          throw new UsageError(`ps: unsupported --filter key "${k}": zoo knows name, id, status, exited, ancestor`);
        })();
    if (!ok) return false;
  }
  return true;
}

export async function ps(o: PsOptions): Promise<number> {
  const cs = containers();
  await repair(cs);
  let rows = cs.all().sort((a, b) => b.config.created.localeCompare(a.config.created));
  const explicitStatus = o.filters.some((f) => f.startsWith("status=") || f.startsWith("exited="));
  if (!o.all && !explicitStatus) rows = rows.filter((r) => r.state.status === "running" || r.state.status === "paused" || r.state.status === "restarting");
  rows = rows.filter((r) => matches(r, o.filters));
  if (o.latest) rows = rows.slice(0, 1);
  const now = Date.now();
  if (o.quiet) {
    for (const r of rows) process.stdout.write(`${o.noTrunc ? r.config.id : r.config.id.slice(0, 12)}\n`);
    return 0;
  }
  if (o.format && o.format !== "table") {
    const tpl = o.format.replace(/^table\s+/, "");
    for (const r of rows) {
      const row = { ...psRow(r, now), ...(o.noTrunc ? { ID: r.config.id } : {}) };
      process.stdout.write(renderTemplate(tpl, row) + "\n");
    }
    return 0;
  }
  const out = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]];
  for (const r of rows) {
    const p = psRow(r, now);
    out.push([o.noTrunc ? r.config.id : p.ID, p.Image, p.Command, p.RunningFor, p.Status, p.Ports, p.Names]);
  }
  process.stdout.write(table(out));
  return 0;
}

export async function inspect(refs: string[], format?: string): Promise<number> {
  const cs = containers();
  const docs = [];
  let code = 0;
  for (const ref of refs) {
    try {
      const id = cs.resolve(ref);
      await repair(cs, [id]);
      docs.push(inspectDoc({ config: cs.config(id), state: cs.state(id) }, cs.path(id, "container.log")));
    } catch (e) {
      process.stderr.write(`Error: ${(e as Error).message}\n`);
      code = 1;
    }
  }
  if (format) for (const d of docs) process.stdout.write(renderTemplate(format, d) + "\n");
  else process.stdout.write(JSON.stringify(docs, null, 4) + "\n");
  return code;
}

export async function port(ref: string, which?: string): Promise<number> {
  const cs = containers();
  const id = cs.resolve(ref);
  await repair(cs, [id]);
  const c = cs.config(id);
  const s = cs.state(id);
  if (!portsText(c, s)) {
    if (which) throw new ZooError(`no public port '${which}' published for ${c.name}`, 1);
    return 0;
  }
  for (const p of c.flags.publish) {
    const key = `${p.containerPort}/${p.protocol}`;
    if (which && which !== key && which !== String(p.containerPort)) continue;
    process.stdout.write(which ? `0.0.0.0:${p.hostPort}\n` : `${key} -> 0.0.0.0:${p.hostPort}\n`);
  }
  return 0;
}

/** The container's processes, from its cgroup, through the host's ps (as `docker top`). */
export async function top(ref: string, psArgs: string[]): Promise<number> {
  const cs = containers();
  const id = cs.resolve(ref);
  await repair(cs, [id]);
  const s = cs.state(id);
  if (s.status !== "running" && s.status !== "paused") throw new ZooError(`container ${cs.config(id).name} is not running`, 1);
  let pids: number[] = s.resources?.cgroup ? ContainerCgroup.restore(s.resources.cgroup).pids() : [];
  if (pids.length === 0) pids = [s.pid];
  const r = Bun.spawnSync(["ps", ...(psArgs.length ? psArgs : ["-f"]), "-p", pids.join(",")], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 && r.stdout.length === 0) throw new ZooError(`top: ps failed: ${r.stderr.toString().trim()}`, 1);
  process.stdout.write(r.stdout.toString());
  return 0;
}
