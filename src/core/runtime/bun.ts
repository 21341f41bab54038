/** The runtime adapter on Bun: `bun run`, `bun test` and the compiled binary. */

import { join } from "node:path";
import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import pgliteDataPath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };
import picoCss from "@picocss/pico/css/pico.min.css" with { type: "file" };
import sseJs from "htmx.org/dist/ext/hx-sse.min.js" with { type: "file" };
import htmxJs from "htmx.org/dist/htmx.min.js" with { type: "file" };
import embeddedDbImagePath from "../../db/image/pgdata.tar.gz" with { type: "file" };
import appCss from "../../web/static/app.css" with { type: "file" };
import appJs from "../../web/static/app.js" with { type: "file" };
import { releaseEmbeddedFiles } from "./embedded-pages.ts";
import type { Runtime, TlsPolicy } from "./types.ts";
import { discardZeroPages } from "./zero-pages.ts";

function tlsOptions(policy: TlsPolicy) {
  // Bun calls checkServerIdentity on every new connection once the chain verifies (so with `ca`), not when
  // verification is off: there the caller's probe is what checks the pin (src/proxmox/tls.ts).
  const verify = policy.check;
  const check = verify
    ? (_host: string, cert: { fingerprint256?: string }) => verify(cert.fingerprint256?.toUpperCase())
    : undefined;
  return policy.ca
    ? { ca: policy.ca, ...(check ? { checkServerIdentity: check } : {}) }
    : { rejectUnauthorized: false, ...(check ? { checkServerIdentity: check } : {}) };
}

export const bunRuntime: Runtime = {
  name: "bun",
  label: `Bun ${Bun.version}`,
  env: () => Bun.env,
  mainModule: () => Bun.main,
  sleep: (ms) => Bun.sleep(ms),
  collectGarbage: () => Bun.gc(true),
  collectGarbageSoon: () => Bun.gc(false),
  discardZeroPages,
  // The embedded files a server reads once at start; the web page's files are read on every request.
  releaseEmbeddedFiles: () =>
    releaseEmbeddedFiles([pgliteWasmPath, pgliteDataPath, initdbWasmPath, embeddedDbImagePath]),
  releaseStartupMemory: () => {
    Bun.gc(true);
    // JSC's shrinkFootprintWhenIdle: what Bun itself does after about two minutes without work, now.
    // Marked deprecated in Bun's types: a Bun without it keeps the code (and the process keeps running —
    // this runs in a timer, where a TypeError would end it).
    if (typeof Bun.shrink === "function") Bun.shrink();
  },
  async runSelf(args, timeoutMs) {
    const compiled = import.meta.url.includes("$bunfs") || Bun.main.includes("$bunfs");
    const self = compiled ? [process.execPath] : [process.execPath, join(import.meta.dir, "../../index.ts")];
    const child = Bun.spawn([...self, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const [code, out, err] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]).finally(() => clearTimeout(timer));
    return { code, output: (err || out).trim() };
  },
  readTextFile: (path) => Bun.file(path).text(),
  async serve({ port, hostname, fetch, maxRequestBodySize }) {
    // Bun passes the server as the second argument: it has requestIP() and timeout().
    const server = Bun.serve({
      port,
      hostname,
      fetch,
      ...(maxRequestBodySize ? { maxRequestBodySize } : {}),
    });
    return { port: server.port ?? port, stop: () => server.stop() };
  },
  hashPassword: (password, { memoryCost, timeCost }) =>
    Bun.password.hash(password, { algorithm: "argon2id", memoryCost, timeCost }),
  verifyPassword: (password, hash) => Bun.password.verify(password, hash).catch(() => false),
  tlsFetcher: (policy) => new Bun.FetchSession({ tls: tlsOptions(policy) }).fetch,
  archive: {
    pack: (entries) => new Bun.Archive(entries, { compress: "gzip", level: 9 }).bytes(),
    async extract(archive, dir) {
      await new Bun.Archive(archive).extract(dir);
    },
  },
  parseYaml: (text) => Bun.YAML.parse(text),
  // Imported as a file, it is embedded in the compiled binary like PGlite's own assets.
  embeddedDbImage: () => Bun.file(embeddedDbImagePath).bytes(),
  webAssetPaths: () => ({
    "pico.css": picoCss,
    "app.css": appCss,
    "htmx.js": htmxJs,
    "sse.js": sseJs,
    "app.js": appJs,
  }),
  async pgliteFiles() {
    // Imported as files, Bun embeds them in `bun build --compile` binaries (PGlite's own lookup next to its
    // module would hit the binary's virtual root).
    return {
      pgliteWasm: () => Bun.file(pgliteWasmPath).arrayBuffer(),
      initdbWasm: () => Bun.file(initdbWasmPath).arrayBuffer(),
      fsBundle: Bun.file(pgliteDataPath),
    };
  },
};
