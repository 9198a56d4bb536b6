// Image references as Docker spells them: [REGISTRY/]REPO[:TAG][@DIGEST].
// Short names mean Docker Hub's library; the local store keys images by the
// "familiar" form Docker shows (busybox:latest, me/app:1, host:5000/x:y).
import { UsageError } from "../util/errors.ts";

export const DOCKER_HUB = "docker.io";
const HUB_API = "registry-1.docker.io";

export interface Ref {
  registry: string;
  repo: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function parseRef(s: string): Ref {
  const bad = (why: string) => new UsageError(`invalid image reference "${s}": ${why}`);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad("the digest must be sha256: and 64 hex digits");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" has characters other than letters, digits, _ . -`);
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf("/");
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  if (registry === "index.docker.io" || registry === HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !rest.includes("/")) rest = `library/${rest}`;
  if (rest === "" || !rest.split("/").every((c) => COMPONENT.test(c))) throw bad("repository names are lowercase letters, digits and separators (. _ -)");
  if (!tag && !digest) tag = "latest";
  return { registry, repo: rest, tag, digest };
}

/** The name Docker would show: library/ and docker.io/ dropped. */
export function familiarName(r: Ref): string {
  if (r.registry !== DOCKER_HUB) return `${r.registry}/${r.repo}`;
  return r.repo.startsWith("library/") ? r.repo.slice(8) : r.repo;
}

/** The key an image is stored under: NAME:TAG, or NAME@DIGEST for a digest-only reference. */
export function storeKey(r: Ref): string {
  return r.tag ? `${familiarName(r)}:${r.tag}` : `${familiarName(r)}@${r.digest}`;
}

/** The host that serves a registry's API. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? HUB_API : registry;
}

