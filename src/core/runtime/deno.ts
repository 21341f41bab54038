/**
 * The runtime adapter on Deno 2 (`bun run start:deno`). Only what Deno does differently from Bun lives
 * here; the differences that remain are listed in docs/runtime.md.
 */
import { Buffer } from "node:buffer";
import https from "node:https";
import { isIP } from "node:net";
import tls from "node:tls";
import { argon2id, argon2Verify } from "hash-wasm";
import type { Fetcher, PgliteFiles, Runtime, ServerEnv, TlsPolicy } from "./types.ts";

/** The part of Deno's global namespace used here (Deno's own types are not part of this Bun project). */
interface DenoApi {
  env: { toObject(): Record<string, string> };
  mainModule: string;
  version: { deno: string };
  readTextFile(path: string | URL): Promise<string>;
  readFile(path: string | URL): Promise<Uint8Array<ArrayBuffer>>;
  serve(
    options: { port: number; hostname: string; onListen(addr: { port: number }): void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
}

const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/** Argon2id output and salt sizes: what Bun.password writes, so the two produce the same kind of string. */
const HASH_BYTES = 32;
const SALT_BYTES = 16;

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

type PeerSocket = { getPeerCertificate?: () => { fingerprint256?: string } | undefined };

const fingerprintOf = (socket: PeerSocket) => socket.getPeerCertificate?.()?.fingerprint256?.toUpperCase();

/** The certificate fingerprint a TLS server presents now, read on a connection of its own. */
function presentedFingerprint(url: URL, signal: AbortSignal | undefined): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      rejectUnauthorized: false,
      ...(isIP(host) ? {} : { servername: host }),
    });
    const abort = () => socket.destroy(signal?.reason);
    signal?.addEventListener("abort", abort, { once: true });
    socket.once("secureConnect", () => {
      signal?.removeEventListener("abort", abort);
      const fingerprint = fingerprintOf(socket);
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once("error", (err: Error) => {
      signal?.removeEventListener("abort", abort);
      reject(err);
    });
  });
}

/**
 * Deno's fetch verifies certificates with rustls and has no switch to accept a self-signed PVE certificate
 * per host (and rustls refuses a CA certificate used as the server's own, which `openssl req -x509` makes).
 * node:https on Deno does accept `rejectUnauthorized: false`, so PVE calls go through it. Deno's node:https
 * gives no reliable hook between its TLS handshake and sending the request, so with a pin every request is
 * preceded by a handshake of its own whose certificate must match (the credentials are only sent after
 * that), and the connection the response came on is checked again.
 */
function nodeHttpsFetcher(policy: TlsPolicy): Fetcher {
  const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  return async (url, init) => {
    const signal = init.signal ?? undefined;
    if (init.body != null && typeof init.body !== "string") {
      throw new TypeError("only string request bodies are supported");
    }
    if (policy.check) {
      const refused = policy.check(await presentedFingerprint(new URL(url), signal));
      if (refused) throw refused;
    }
    const body = init.body;
    return new Promise<Response>((resolve, reject) => {
      const fail = (err: unknown) => reject(signal?.aborted ? signal.reason : err);
      const req = https.request(
        url,
        {
          method: init.method ?? "GET",
          headers: Object.fromEntries(new Headers(init.headers)),
          agent,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const refused = policy.check?.(fingerprintOf(res.socket as PeerSocket));
          if (refused) {
            res.destroy();
            req.destroy();
            return reject(refused);
          }
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", fail);
          res.on("end", () => {
            const status = res.statusCode ?? 500;
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
            }
            resolve(
              new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? "",
                headers,
              }),
            );
          });
        },
      );
      req.on("error", fail);
      if (typeof body === "string") req.write(body);
      req.end();
    });
  };
}

/** node_modules/<specifier> as a file URL (the PGlite package exports its assets by these names). */
function packageFile(specifier: string): URL {
  return new URL(import.meta.resolve(specifier));
}

export const denoRuntime: Runtime = {
  name: "deno",
  get label() {
    return `Deno ${Deno.version.deno}`;
  },
  env: () => Deno.env.toObject(),
  mainModule: () => Deno.mainModule,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  // Deno exposes no collector call without --v8-flags=--expose-gc; V8 collects on its own schedule.
  collectGarbage: () => {},
  collectGarbageSoon: () => {},
  releaseStartupMemory: () => {},
  readTextFile: (path) => Deno.readTextFile(path),
  serve({ port, hostname, fetch }) {
    return new Promise((resolve) => {
      const server = Deno.serve(
        {
          port,
          hostname,
          onListen: (addr) => resolve({ port: addr.port, stop: () => server.shutdown() }),
        },
        (req, info) => {
          const env: ServerEnv = { requestIP: () => ({ address: info.remoteAddr.hostname }) };
          return fetch(req, env);
        },
      );
    });
  },
  hashPassword: (password, { memoryCost, timeCost }) =>
    argon2id({
      password,
      salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
      parallelism: 1,
      iterations: timeCost,
      memorySize: memoryCost,
      hashLength: HASH_BYTES,
      outputType: "encoded",
    }),
  verifyPassword: (password, hash) => argon2Verify({ password, hash }).catch(() => false),
  tlsFetcher: nodeHttpsFetcher,
  webAssetPaths: () => ({
    "pico.css": packageFile("@picocss/pico/css/pico.min.css").pathname,
    "app.css": new URL("../../web/static/app.css", import.meta.url).pathname,
    "htmx.js": packageFile("htmx.org/dist/htmx.min.js").pathname,
    "sse.js": packageFile("htmx.org/dist/ext/hx-sse.min.js").pathname,
    "app.js": new URL("../../web/static/app.js", import.meta.url).pathname,
  }),
  async pgliteFiles(): Promise<PgliteFiles> {
    const read = async (name: string) =>
      (await Deno.readFile(packageFile(`@electric-sql/pglite/${name}`))).buffer;
    return {
      pgliteWasm: () => read("pglite.wasm"),
      initdbWasm: () => read("initdb.wasm"),
      fsBundle: new Blob([await read("pglite.data")]),
    };
  },
};
