// Registry credentials in Docker's config.json ($DOCKER_CONFIG/config.json,
// else ~/.docker/config.json): {"auths": {"HOST": {"auth": base64(user:pass)}}},
// Docker Hub under https://index.docker.io/v1/ as Docker writes it.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { ZooError } from "../util/errors.ts";
import { DOCKER_HUB } from "./ref.ts";

export interface Credentials {
  username: string;
  password: string;
}

const HUB_KEY = "https://index.docker.io/v1/";

export function configPath(): string {
  const dir = process.env.DOCKER_CONFIG || join(process.env.HOME || homedir(), ".docker");
  return join(dir, "config.json");
}

const keyFor = (registry: string) => (registry === DOCKER_HUB ? HUB_KEY : registry);

function readConfig(): Record<string, unknown> & { auths?: Record<string, { auth?: string }> } {
  let text: string;
  try {
    text = readFileSync(configPath(), "utf8");
  } catch {
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ZooError(`${configPath()} is not valid JSON: fix or remove it`);
  }
}

function writeConfig(c: object) {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(c, null, "\t") + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function getCredentials(registry: string): Credentials | undefined {
  const auths = readConfig().auths ?? {};
  const keys = [keyFor(registry), `https://${registry}`, `http://${registry}`, `${registry}/v1/`, `https://${registry}/v1/`];
  for (const k of keys) {
    const a = auths[k]?.auth;
    if (!a) continue;
    const plain = Buffer.from(a, "base64").toString("utf8");
    const i = plain.indexOf(":");
    if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1) };
  }
  return undefined;
}

export function saveCredentials(registry: string, c: Credentials): void {
  const cfg = readConfig();
  cfg.auths = { ...(cfg.auths ?? {}), [keyFor(registry)]: { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") } };
  writeConfig(cfg);
}

/** True when there was something to remove. */
export function removeCredentials(registry: string): boolean {
  const cfg = readConfig();
  if (!cfg.auths?.[keyFor(registry)]) return false;
  delete cfg.auths[keyFor(registry)];
  writeConfig(cfg);
  return true;
}
