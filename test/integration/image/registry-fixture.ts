// A real registry (Debian's docker-registry, i.e. distribution 2.8) on a free
// loopback port with its own config and storage, behind a small token server
// run by the test: Docker Hub's scheme (401 + WWW-Authenticate: Bearer realm,
// then a JWT for the repository scope signed with a key the registry trusts).
// Repositories under public/ may be pulled anonymously; everything else needs
// the user zoo with password secret. Images are pushed with skopeo.
import { sign } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

const SBIN = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const REGISTRY_BIN = Bun.which("docker-registry", { PATH: SBIN });
export const SKOPEO = Bun.which("skopeo", { PATH: SBIN });
export const USER = "zoo";
export const PASSWORD = "secret";
const SERVICE = "zoo-test-registry";
const ISSUER = "zoo-test-issuer";

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export interface TestRegistry {
  host: string;
  storage: string;
  /** Requests the token server saw (with or without credentials). */
  tokenRequests: { scope: string | null; user: string | null }[];
  push(layoutDir: string, tag: string, repo: string, all?: boolean): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `token`: the token server above. `htpasswd`: the registry's own Basic auth
 * (user zoo, password secret; bcrypt from Bun, no apache2-utils needed).
 */
export async function startRegistry(work: string, auth: "token" | "htpasswd" = "token"): Promise<TestRegistry> {
  mkdirSync(work, { recursive: true });
  const key = join(work, "token.key");
  const cert = join(work, "token.crt");
  const ssl = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=zoo-test-token"], { stderr: "pipe" });
  if (ssl.exitCode !== 0) throw new Error(`openssl: ${ssl.stderr}`);
  const der = Buffer.from(readFileSync(cert, "utf8").replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const privateKey = readFileSync(key, "utf8");
  const tokenRequests: TestRegistry["tokenRequests"] = [];

  const tokenServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization");
      let user: string | null = null;
      if (auth?.startsWith("Basic ")) {
        const [u, p] = Buffer.from(auth.slice(6), "base64").toString().split(":");
        if (u !== USER || p !== PASSWORD) return new Response("bad credentials", { status: 401 });
        user = u;
      }
      const scope = url.searchParams.get("scope");
      tokenRequests.push({ scope, user });
      const access = [];
      if (scope) {
        const [type, name, actions] = scope.split(":");
        const allowed = user ? actions!.split(",") : name!.startsWith("public/") ? ["pull"] : [];
        if (!user && allowed.length === 0) return new Response("log in", { status: 401 });
        access.push({ type, name, actions: allowed });
      }
      const now = Math.floor(Date.now() / 1000);
      const header = { typ: "JWT", alg: "ES256", x5c: [der.toString("base64")] };
      const claims = { iss: ISSUER, sub: user ?? "", aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const sig = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
      return Response.json({ token: `${input}.${b64url(sig)}`, expires_in: 300 });
    },
  });

  const port = freePort();
  const storage = join(work, "storage");
  mkdirSync(storage, { recursive: true });
  const config = join(work, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log: { level: error }",
      `storage: { filesystem: { rootdirectory: ${storage} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      "auth:",
      ...(auth === "token"
        ? ["  token:", `    realm: http://127.0.0.1:${tokenServer.port}/token`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${cert}`]
        : ["  htpasswd:", "    realm: zoo-test", `    path: ${join(work, "htpasswd")}`]),
      "",
    ].join("\n"),
  );
  if (auth === "htpasswd") writeFileSync(join(work, "htpasswd"), `${USER}:${await Bun.password.hash(PASSWORD, { algorithm: "bcrypt", cost: 4 })}\n`);
  const proc: Subprocess = Bun.spawn([REGISTRY_BIN!, "serve", config], { stdout: "ignore", stderr: "pipe", env: { PATH: SBIN } });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://${host}/v2/`);
      if (r.status === 401) break;
    } catch {}
    if (i > 100 || proc.exitCode !== null) {
      proc.kill();
      tokenServer.stop(true);
      throw new Error(`docker-registry did not start: ${await new Response(proc.stderr as ReadableStream).text()}`);
    }
    await Bun.sleep(50);
  }

  return {
    host,
    storage,
    tokenRequests,
    async push(layoutDir, tag, repo, all = false) {
      const p = Bun.spawn(
        [SKOPEO!, "copy", "--quiet", "--preserve-digests", ...(all ? ["--all"] : []), "--dest-tls-verify=false", "--dest-creds", `${USER}:${PASSWORD}`, `oci:${layoutDir}:${tag}`, `docker://${host}/${repo}`],
        { stdout: "pipe", stderr: "pipe", env: { PATH: SBIN, HOME: work } },
      );
      const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
      if (code !== 0) throw new Error(`skopeo copy ${tag} → ${repo}: ${err}`);
    },
    async stop() {
      proc.kill();
      await proc.exited;
      tokenServer.stop(true);
    },
  };
}

/**
 * A TCP proxy in front of the registry that, while armed, cuts the
 * connection serving a given blob after `after` bytes of response: an
 * interrupted download, with the real registry behind it. It records the
 * requests it saw (first line and Range header).
 */
export function startCuttingProxy(target: string) {
  const [host, port] = target.split(":");
  const state = { blob: "", after: 0, cuts: 0, requests: [] as string[] };
  type Side = { peer?: import("bun").Socket<Side>; counting?: boolean; sent?: number; pending?: Uint8Array[] };
  const server = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { pending: [] };
        const upstream = await Bun.connect<Side>({
          hostname: host!,
          port: Number(port),
          socket: {
            data(up, chunk) {
              const c = up.data.peer!;
              if (c.data.counting && state.blob) {
                c.data.sent! += chunk.length;
                if (c.data.sent! > state.after) {
                  c.write(chunk.subarray(0, Math.max(0, chunk.length - (c.data.sent! - state.after))));
                  state.cuts++;
                  state.blob = "";
                  c.end();
                  up.end();
                  return;
                }
              }
              c.write(chunk);
            },
            close(up) {
              up.data.peer?.end();
            },
          },
        });
        upstream.data = { peer: client };
        client.data.peer = upstream;
        for (const p of client.data.pending!) upstream.write(p);
      },
      data(client, chunk) {
        const text = new TextDecoder().decode(chunk);
        const line = text.split("\r\n")[0]!;
        if (/^(GET|HEAD) /.test(line)) {
          const range = /\r\nrange: *([^\r]*)/i.exec(text)?.[1];
          state.requests.push(range ? `${line} [${range}]` : line);
          client.data.counting = !!state.blob && line.includes(`/blobs/${state.blob}`);
          client.data.sent = 0;
        }
        if (client.data.peer) client.data.peer.write(chunk);
        else client.data.pending!.push(chunk);
      },
      close(client) {
        client.data.peer?.end();
      },
    },
  });
  return { host: `127.0.0.1:${server.port}`, state, stop: () => server.stop(true) };
}
