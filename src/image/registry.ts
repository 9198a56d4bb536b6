// A client for the OCI distribution API: manifests and blobs over HTTPS (plain
// HTTP only for localhost or registries marked insecure), with the auth
// dance Docker Hub and distribution use: a 401 names a Bearer realm, from
// which a token for the repository's scope is fetched (with the user's
// credentials if they have any), or asks for Basic auth.
import { createHash } from "node:crypto";
import { closeSync, openSync, statSync, writeSync, createReadStream, unlinkSync } from "node:fs";
import { ZooError } from "../util/errors.ts";
import { getCredentials, type Credentials } from "./auth.ts";
import { apiHost } from "./ref.ts";
import { hex } from "./store.ts";
import { MT } from "./install.ts";

const MANIFEST_ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(", ");
const MAX_MANIFEST = 4 << 20;

export interface RegistryOptions {
  /** Allow plain HTTP and unverified TLS for this registry. */
  insecure?: boolean;
  credentials?: Credentials;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(h: string): Challenge | null {
  const m = /^\s*(\w+)\s*(.*)$/.exec(h);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p; (p = re.exec(m[2]!)); ) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

/** Registries that may be spoken to over plain HTTP: loopback, and ZOO_INSECURE_REGISTRIES. */
export function isInsecureRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  if (host === "localhost" || host === "::1" || /^127\./.test(host)) return true;
  return (process.env.ZOO_INSECURE_REGISTRIES ?? "").split(",").map((s) => s.trim()).includes(registry);
}

export class Registry {
  private base: string | null = null;
  private tokens = new Map<string, string>();
  private basic = false;
  readonly host: string;
  private creds: Credentials | undefined;

  constructor(readonly registry: string, private o: RegistryOptions = {}) {
    this.host = apiHost(registry);
    this.creds = o.credentials ?? getCredentials(registry);
  }

  private insecure() {
    return this.o.insecure || isInsecureRegistry(this.registry);
  }

  /** HTTPS first; an insecure registry falls back to HTTP when HTTPS does not answer. */
  private async pickBase(): Promise<string> {
    if (this.base) return this.base;
    const https = `https://${this.host}`;
    try {
      await fetch(`${https}/v2/`, { tls: { rejectUnauthorized: !this.insecure() }, signal: AbortSignal.timeout(30_000) } as RequestInit);
      return (this.base = https);
    } catch (e) {
      if (!this.insecure()) throw new ZooError(`cannot reach ${this.host} over HTTPS: ${(e as Error).message}`);
    }
    return (this.base = `http://${this.host}`);
  }

  private authHeader(scope: string): string | undefined {
    const t = this.tokens.get(scope);
    if (t) return `Bearer ${t}`;
    if (this.basic && this.creds) return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString("base64")}`;
    return undefined;
  }

  private async authenticate(ch: Challenge, scope: string): Promise<void> {
    if (ch.scheme === "basic") {
      if (!this.creds) throw new ZooError(`${this.registry} wants a user name and password: run zoo login ${this.registry}`);
      if (this.basic) throw new ZooError(`${this.registry} refused the credentials: run zoo login ${this.registry} again`);
      this.basic = true;
      return;
    }
    if (ch.scheme !== "bearer" || !ch.params.realm) throw new ZooError(`${this.registry} asks for an authentication scheme zoo does not know: ${ch.scheme}`);
    const url = new URL(ch.params.realm);
    if (ch.params.service) url.searchParams.set("service", ch.params.service);
    if (scope) url.searchParams.set("scope", scope);
    const headers: Record<string, string> = {};
    if (this.creds) headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString("base64")}`;
    let r: Response;
    try {
      r = await fetch(url, { headers, tls: { rejectUnauthorized: !this.insecure() }, signal: AbortSignal.timeout(30_000) } as RequestInit);
    } catch (e) {
      throw new ZooError(`cannot get a token from ${url.origin}: ${(e as Error).message}`);
    }
    if (r.status === 401 || r.status === 403) {
      throw new ZooError(this.creds ? `${this.registry} refused the credentials: run zoo login ${this.registry} again` : `${this.registry} wants you to log in: run zoo login ${this.registry}`);
    }
    if (!r.ok) throw new ZooError(`the token server ${url.origin} answered ${r.status} ${r.statusText}`);
    const body = (await r.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ZooError(`the token server ${url.origin} sent no token`);
    this.tokens.set(scope, token);
  }

  /** A request with auth; follows redirects itself so credentials never go to another host. */
  async request(path: string, scope: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const base = await this.pickBase();
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const auth = this.authHeader(scope);
      if (auth) headers.authorization = auth;
      let r = await this.fetch(`${base}${path}`, { method: init.method, headers });
      for (let hops = 0; r.status >= 300 && r.status < 400 && r.headers.get("location"); hops++) {
        if (hops > 5) throw new ZooError(`${this.registry}: too many redirects for ${path}`);
        const next = new URL(r.headers.get("location")!, `${base}${path}`);
        const h = { ...init.headers };
        if (next.origin === base && auth) h.authorization = auth;
        r = await this.fetch(next.href, { method: init.method, headers: h });
      }
      if (r.status !== 401 || attempt > 0) return r;
      const ch = parseChallenge(r.headers.get("www-authenticate") ?? "");
      await r.body?.cancel();
      if (!ch) throw new ZooError(`${this.registry} answered 401 without saying how to authenticate`);
      await this.authenticate(ch, scope);
    }
  }

  private async fetch(url: string, init: { method?: string; headers: Record<string, string> }): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: "manual", tls: { rejectUnauthorized: !this.insecure() } } as RequestInit);
    } catch (e) {
      throw new ZooError(`cannot reach ${this.registry}: ${(e as Error).message}`);
    }
  }

  /** GET /v2/ with auth: what `zoo login` checks. */
  async ping(): Promise<void> {
    const r = await this.request("/v2/", "");
    await r.body?.cancel();
    if (r.status === 401) throw new ZooError(`${this.registry} refused the credentials`);
    if (!r.ok) throw new ZooError(`${this.registry}/v2/ answered ${r.status} ${r.statusText}: is it a registry?`);
  }

  /** A manifest or index by tag or digest, checked against the digest it is known by. */
  async manifest(repo: string, reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
    const r = await this.request(`/v2/${repo}/manifests/${reference}`, `repository:${repo}:pull`, { headers: { accept: MANIFEST_ACCEPT } });
    if (r.status === 404) {
      await r.body?.cancel();
      throw new ZooError(`manifest for ${this.registry}/${repo}:${reference} not found: check the name and tag`);
    }
    if (!r.ok) {
      await r.body?.cancel();
      throw new ZooError(`${this.registry} answered ${r.status} ${r.statusText} for the manifest of ${repo}:${reference}`);
    }
    const bytes = await readLimited(r, MAX_MANIFEST, "manifest");
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const expected = reference.startsWith("sha256:") ? reference : r.headers.get("docker-content-digest");
    if (expected && expected !== digest) throw new ZooError(`digest mismatch for the manifest of ${repo}:${reference}: expected ${expected}, got ${digest}`);
    let mediaType = r.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    try {
      const body = JSON.parse(new TextDecoder().decode(bytes));
      if (body.mediaType) mediaType = body.mediaType;
      else if (Array.isArray(body.manifests)) mediaType = MT.ociIndex;
    } catch {
      throw new ZooError(`the manifest of ${repo}:${reference} is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** A small blob (a config) in memory, verified. */
  async blobBytes(repo: string, digest: string, maxSize: number): Promise<Uint8Array> {
    const r = await this.request(`/v2/${repo}/blobs/${digest}`, `repository:${repo}:pull`);
    if (!r.ok) {
      await r.body?.cancel();
      throw new ZooError(`${this.registry} answered ${r.status} ${r.statusText} for blob ${digest}`);
    }
    const bytes = await readLimited(r, maxSize, `blob ${digest}`);
    const got = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (got !== digest) throw new ZooError(`digest mismatch: blob ${digest} arrived as ${got}`);
    return bytes;
  }

  /**
   * A blob into `partial`, resuming what an interrupted pull left there; the
   * file is checked against the digest (and removed if wrong) before it returns.
   */
  async blobToFile(repo: string, digest: string, size: number, partial: string, progress: (bytes: number) => void): Promise<void> {
    const hash = createHash("sha256");
    let have = statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
    if (have > size) {
      unlinkSync(partial);
      have = 0;
    }
    if (have > 0) for await (const c of createReadStream(partial)) hash.update(c as Buffer);
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
    const r = have === size ? null : await this.request(`/v2/${repo}/blobs/${digest}`, `repository:${repo}:pull`, { headers });
    if (r && !r.ok) {
      await r.body?.cancel();
      throw new ZooError(`${this.registry} answered ${r.status} ${r.statusText} for blob ${digest}`);
    }
    if (r && r.status !== 206 && have > 0) {
      // The server did not honour the range: start over.
      await r.body?.cancel();
      unlinkSync(partial);
      return this.blobToFile(repo, digest, size, partial, progress);
    }
    const fd = openSync(partial, have > 0 ? "a" : "w", 0o600);
    try {
      progress(have);
      if (r?.body) {
        try {
          for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) {
            have += c.length;
            if (have > size) {
              unlinkSync(partial);
              throw new ZooError(`blob ${digest} is larger than the ${size} bytes its manifest says: refusing it`);
            }
            hash.update(c);
            let off = 0;
            while (off < c.length) off += writeSync(fd, c, off);
            progress(have);
          }
        } catch (e) {
          if (e instanceof ZooError) throw e;
          throw new ZooError(`the download of layer ${hex(digest).slice(0, 12)} broke off after ${have} of ${size} bytes (${(e as Error).message}): run the pull again to resume`);
        }
      }
    } finally {
      closeSync(fd);
    }
    if (have < size) throw new ZooError(`the download of layer ${hex(digest).slice(0, 12)} broke off after ${have} of ${size} bytes: run the pull again to resume`);
    const got = `sha256:${hash.digest("hex")}`;
    if (got !== digest) {
      unlinkSync(partial);
      throw new ZooError(`digest mismatch: layer ${hex(digest).slice(0, 12)} should be ${digest} but its content is ${got}: refusing it`);
    }
  }
}

async function readLimited(r: Response, max: number, what: string): Promise<Uint8Array> {
  const len = Number(r.headers.get("content-length") ?? 0);
  if (len > max) throw new ZooError(`${what} is ${len} bytes, more than the ${max} zoo accepts`);
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > max) throw new ZooError(`${what} is more than the ${max} bytes zoo accepts`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
