/**
 * Certificate fingerprint pinning for self-signed PVE certificates.
 *
 * Why a probe: Bun's fetch (1.4.x) does NOT call `tls.checkServerIdentity` when `rejectUnauthorized` is
 * false, and with verification on it rejects a self-signed or privately signed chain before any callback
 * runs. So we read the presented leaf certificate with a `node:tls` connection first, compare its SHA-256
 * with the pin, and cache the verdict per host:port.
 *
 * Then, for the real requests:
 * - if the leaf is self-signed, we trust exactly that certificate (`ca` = leaf) and fetch verifies the
 *   chain on every connection, and `checkServerIdentity` (which Bun does call once the chain verifies)
 *   re-checks the fingerprint, so a swapped certificate is refused even between probes;
 * - if the leaf is signed by a CA we were not given (PVE's default pve-root-ca does not send its root),
 *   the chain cannot be verified, so requests go with `rejectUnauthorized: false` and rely on the probe,
 *   which is repeated every PROBE_TTL_MS and after any connection failure.
 *
 * Under Deno the runtime adapter sends these requests through node:https and checks the pin on the
 * certificate of every connection a response arrives on (src/core/runtime/deno.ts, docs/runtime.md).
 */
import { Buffer } from "node:buffer";
import tls from "node:tls";
import { type Fetcher, runtime } from "../core/runtime/index.ts";

export type { Fetcher };

const PROBE_TTL_MS = 5 * 60_000;

export class PinMismatchError extends Error {
  readonly code = "ERR_PROXMOX_PIN_MISMATCH";
  constructor(expected: string, actual: string) {
    super(`certificate fingerprint ${actual} does not match the pinned ${expected}`);
  }
}

/** "aa:bb…", "AABB…" or "sha256//AA:BB…" → "AA:BB:…" */
export function normalizeFingerprint(fp: string): string {
  const hex = fp
    .replace(/^sha256\/\//i, "")
    .replace(/[^0-9a-f]/gi, "")
    .toUpperCase();
  if (hex.length !== 64) throw new TypeError("fingerprint must be a SHA-256 digest (32 bytes)");
  return hex.match(/../g)!.join(":");
}

interface ProbeResult {
  at: number;
  leafPem: string;
  selfSigned: boolean;
}

/** For verifyTls=false: one session whose connections accept any certificate (PVE's self-signed default). */
export function insecureFetcher(): Fetcher {
  return runtime.tlsFetcher({});
}

export class FingerprintPinner {
  readonly expected: string;
  private cache: ProbeResult | undefined;
  private inflight: Promise<ProbeResult> | undefined;
  /** Keep-alive pool bound to the verified certificate; rebuilt when the certificate changes. */
  private session: { pem: string; fetch: Fetcher } | undefined;

  constructor(
    fingerprint: string,
    private readonly host: string,
    private readonly port: number,
    private readonly now: () => number = Date.now,
  ) {
    this.expected = normalizeFingerprint(fingerprint);
  }

  /** A fetch bound to the pinned certificate, after making sure the server presents it. */
  async fetcher(timeoutMs: number): Promise<Fetcher> {
    const probe = await this.probe(timeoutMs);
    if (this.session?.pem === probe.leafPem) return this.session.fetch;
    const check = (fingerprint256: string | undefined) =>
      fingerprint256 === this.expected
        ? undefined
        : new PinMismatchError(this.expected, fingerprint256 ?? "unknown");
    const fetch = runtime.tlsFetcher(probe.selfSigned ? { ca: probe.leafPem, check } : { check });
    this.session = { pem: probe.leafPem, fetch };
    return fetch;
  }

  /** Forget the verdict (after a connection failure the server may have changed). */
  invalidate(): void {
    this.cache = undefined;
  }

  private probe(timeoutMs: number): Promise<ProbeResult> {
    if (this.cache && this.now() - this.cache.at < PROBE_TTL_MS) return Promise.resolve(this.cache);
    this.inflight ??= this.connect(timeoutMs).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private connect(timeoutMs: number): Promise<ProbeResult> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: this.host,
        port: this.port,
        // The probe only reads the certificate; trust is decided by the fingerprint comparison below.
        rejectUnauthorized: false,
        ...(isIp(this.host) ? {} : { servername: this.host }),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          Object.assign(new Error(`TLS probe timed out after ${timeoutMs} ms`), { name: "TimeoutError" }),
        );
      }, timeoutMs);
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        const cert = socket.getPeerCertificate();
        socket.destroy();
        const actual = cert?.fingerprint256?.toUpperCase();
        if (!actual || !cert.raw) return reject(new PinMismatchError(this.expected, "none"));
        if (actual !== this.expected) return reject(new PinMismatchError(this.expected, actual));
        const result: ProbeResult = {
          at: this.now(),
          leafPem: toPem(cert.raw),
          selfSigned: JSON.stringify(cert.subject) === JSON.stringify(cert.issuer),
        };
        this.cache = result;
        resolve(result);
      });
      socket.once("error", (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
}

/** `der` is a Buffer under Bun and a plain Uint8Array under Deno. */
function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
