/**
 * The runtime adapter on Deno 2 (`bun run start:deno`). Only what Deno does differently from Bun lives
 * here; the differences that remain are listed in docs/runtime.md.
 */
import { Buffer } from "node:buffer";
import https from "node:https";
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

type PeerSocket = {
  encrypted?: boolean;
  getPeerCertificate?: () => { fingerprint256?: string } | undefined;
  once(event: "secureConnect", listener: () => void): unknown;
};

const fingerprintOf = (socket: PeerSocket) => socket.getPeerCertificate?.()?.fingerprint256?.toUpperCase();

/**
 * Deno's fetch verifies certificates with rustls and has no switch to accept a self-signed PVE certificate
 * per host (and rustls refuses a CA certificate used as the server's own, which `openssl req -x509` makes).
 * node:https on Deno does accept `rejectUnauthorized: false`, so PVE calls go through it. The request is
 * only ended (its headers, with the credentials, sent) once the connection's certificate passed the pin
 * check; the response's connection is checked again before its body is read.
 */
function nodeHttpsFetcher(policy: TlsPolicy): Fetcher {
  const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      const fail = (err: unknown) => reject(signal?.aborted ? signal.reason : err);
      if (init.body != null && typeof init.body !== "string") {
        return fail(new TypeError("only string request bodies are supported"));
      }
      const body = init.body;
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
      const send = () => {
        if (typeof body === "string") req.write(body);
        req.end();
      };
      if (!policy.check) return send();
      req.once("socket", (raw) => {
        const socket = raw as PeerSocket;
        const verify = () => {
          const refused = policy.check?.(fingerprintOf(socket));
          if (refused) req.destroy(refused);
          else send();
        };
        // A kept-alive connection has its certificate already; a new one has it after the handshake.
        if (fingerprintOf(socket)) verify();
        else socket.once("secureConnect", verify);
      });
    });
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
  async pgliteFiles(): Promise<PgliteFiles> {
    const [pgliteWasm, initdbWasm, data] = await Promise.all([
      Deno.readFile(packageFile("@electric-sql/pglite/pglite.wasm")),
      Deno.readFile(packageFile("@electric-sql/pglite/initdb.wasm")),
      Deno.readFile(packageFile("@electric-sql/pglite/pglite.data")),
    ]);
    return { pgliteWasm: pgliteWasm.buffer, initdbWasm: initdbWasm.buffer, fsBundle: new Blob([data]) };
  },
};
