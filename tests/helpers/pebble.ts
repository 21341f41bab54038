/**
 * Let's Encrypt's ACME test server on loopback, for the access tests: Debian's `pebble` with its own
 * self-signed HTTPS certificate, resolving names through `pebble-challtestsrv` (a real DNS server whose
 * records are set over its management API). Validation goes to ports 80 and 443 of a name's address, where
 * browsers go.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it gives a value; on timeout the error names `what` and the last failure. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await fn().catch((e: unknown) => {
      last = e;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}${last ? ` (${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** Pebble's own HTTPS certificate: what Proximity and the proxy trust to talk to it. */
  certFile: string;
  /** The port pebble-challtestsrv's DNS should listen on (Pebble asks it). */
  dnsPort: number;
  dir: string;
  /** curl trusting Pebble's own certificate. */
  curl(args: string[]): Promise<string>;
  /** The root Pebble issues from (made at start), once it answers. */
  root(): Promise<string>;
  /** Starts pebble-challtestsrv on dnsPort; returns its management URL. */
  challtestsrv(defaultIPv4?: string): Promise<string>;
  stop(): void;
}

export async function startPebble(env: Record<string, string> = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "pebble-"));
  const children: ChildProcess[] = [];
  const start = (cmd: string, args: string[], extra: Record<string, string> = {}) =>
    children.push(spawn(cmd, args, { env: { ...process.env, ...extra }, stdio: "ignore" }));
  const certFile = join(dir, "cert.pem");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=pebble",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    certFile,
  ]);
  const [api, management, dnsPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${api}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: certFile,
        privateKey: join(dir, "key.pem"),
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  start("pebble", ["-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: "1",
    ...env,
  });
  const curl = async (args: string[]) =>
    (await run("curl", ["-sS", "--max-time", "10", "--cacert", certFile, ...args])).stdout;
  const directory = `https://127.0.0.1:${api}/dir`;
  await waitFor("pebble", async () => ((await curl([directory])).includes("newNonce") ? true : undefined));
  return {
    directory,
    certFile,
    dnsPort,
    dir,
    curl,
    root: () =>
      waitFor("pebble's root", async () => {
        const pem = await curl([`https://127.0.0.1:${management}/roots/0`]);
        return pem.includes("BEGIN CERTIFICATE") ? pem : undefined;
      }),
    async challtestsrv(defaultIPv4 = "127.0.0.1") {
      const port = await freePort();
      start("pebble-challtestsrv", [
        "-defaultIPv4",
        defaultIPv4,
        "-defaultIPv6",
        "",
        "-dns01",
        `127.0.0.1:${dnsPort}`,
        "-http01",
        "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-management",
        `127.0.0.1:${port}`,
      ]);
      return `http://127.0.0.1:${port}`;
    },
    stop() {
      for (const c of children) c.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
