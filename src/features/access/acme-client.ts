/**
 * The few ACME calls (RFC 8555) Proximity makes itself for DNS-01 certificates (docs/access.md): an account,
 * an order, the dns-01 challenge of each authorization, finalize with a CSR, the certificate chain. Requests
 * are JWS-signed with `jose` (ES256); nonces come from each answer's Replay-Nonce and a badNonce is retried.
 * Caddy does HTTP-01 itself; this client exists because Caddy without a DNS module cannot do DNS-01.
 */
import { createHash } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, FlattenedSign, generateKeyPair, importJWK, type JWK } from "jose";
import { type CallAnswer, httpCall } from "./http-call.ts";

export class AcmeError extends Error {
  override name = "AcmeError";
  constructor(
    message: string,
    readonly type: string | null = null,
  ) {
    super(message);
  }
}

interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
}

export interface AcmeOrder {
  status: string;
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: { detail?: string };
}

export interface Authorization {
  status: string;
  identifier: { type: string; value: string };
  wildcard?: boolean;
  challenges: { type: string; url: string; token: string; status: string; error?: { detail?: string } }[];
}

export interface AcmeClientOptions {
  /** PEM certificates trusted for the directory's own HTTPS (a private directory such as Pebble). */
  ca?: string[];
  /** Between polls of an authorization or an order. */
  pollMs?: number;
  /** How long an authorization or an order may stay pending. */
  pollTimeoutMs?: number;
}

/** A new ES256 account key as a private JWK (stored encrypted with the settings). */
export async function newAccountKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return exportJWK(privateKey);
}

const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString("base64url");

export class AcmeClient {
  private directory: Directory | undefined;
  private nonce: string | undefined;
  private kid: string | undefined;

  private constructor(
    private readonly directoryUrl: string,
    private readonly key: CryptoKey,
    private readonly publicJwk: JWK,
    private readonly options: AcmeClientOptions,
  ) {}

  static async open(directoryUrl: string, accountJwk: JWK, options: AcmeClientOptions = {}) {
    const key = (await importJWK(accountJwk, "ES256")) as CryptoKey;
    const { kty, crv, x, y } = accountJwk;
    return new AcmeClient(directoryUrl, key, { kty, crv, x, y }, options);
  }

  /** The TXT value that answers `token` (RFC 8555 §8.4): base64url(SHA-256(token "." thumbprint)). */
  async dnsValue(token: string): Promise<string> {
    const thumbprint = await calculateJwkThumbprint(this.publicJwk, "sha256");
    return b64url(createHash("sha256").update(`${token}.${thumbprint}`).digest());
  }

  /** Creates the account, or finds it again (the same key gives the same account): its URL signs the rest. */
  async account(email: string | null): Promise<string> {
    const dir = await this.dir();
    const answer = await this.post(dir.newAccount, {
      termsOfServiceAgreed: true,
      ...(email ? { contact: [`mailto:${email}`] } : {}),
    });
    const location = answer.headers.location;
    if (!location) throw new AcmeError("The ACME directory made the account but did not say where it is");
    this.kid = location;
    return location;
  }

  async newOrder(names: string[]): Promise<{ url: string; order: AcmeOrder }> {
    const dir = await this.dir();
    const answer = await this.post(dir.newOrder, {
      identifiers: names.map((value) => ({ type: "dns", value })),
    });
    const url = answer.headers.location;
    if (!url) throw new AcmeError("The ACME directory made the order but did not say where it is");
    return { url, order: JSON.parse(answer.body) as AcmeOrder };
  }

  async read<T>(url: string): Promise<T> {
    return JSON.parse((await this.post(url, null)).body) as T;
  }

  /** Tells the directory the challenge is ready to be checked. */
  async respond(challengeUrl: string): Promise<void> {
    await this.post(challengeUrl, {});
  }

  /** Polls `url` (an authorization or an order) until its status is not one of `pending`. */
  async waitWhile<T extends { status: string }>(url: string, pending: string[]): Promise<T> {
    const end = Date.now() + (this.options.pollTimeoutMs ?? 120_000);
    for (;;) {
      const doc = await this.read<T>(url);
      if (!pending.includes(doc.status)) return doc;
      if (Date.now() > end) throw new AcmeError(`The ACME directory left ${url} ${doc.status} for too long`);
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 1_000));
    }
  }

  async finalize(order: AcmeOrder, csr: Buffer): Promise<void> {
    await this.post(order.finalize, { csr: b64url(csr) });
  }

  /** The certificate chain (PEM, leaf first). */
  async certificate(url: string): Promise<string> {
    const answer = await this.post(url, null, "application/pem-certificate-chain");
    if (!answer.body.includes("BEGIN CERTIFICATE"))
      throw new AcmeError("The ACME directory answered no certificate");
    return answer.body;
  }

  private async dir(): Promise<Directory> {
    if (this.directory) return this.directory;
    const answer = await this.call(this.directoryUrl, { method: "GET" });
    if (answer.status !== 200) throw new AcmeError(`The ACME directory answered HTTP ${answer.status}`);
    const doc = JSON.parse(answer.body) as Partial<Directory>;
    if (!doc.newNonce || !doc.newAccount || !doc.newOrder) {
      throw new AcmeError("The ACME directory's answer is not an ACME directory");
    }
    this.directory = doc as Directory;
    return this.directory;
  }

  private async freshNonce(): Promise<string> {
    if (this.nonce) {
      const n = this.nonce;
      this.nonce = undefined;
      return n;
    }
    const answer = await this.call((await this.dir()).newNonce, { method: "HEAD" });
    const nonce = answer.headers["replay-nonce"];
    if (!nonce) throw new AcmeError("The ACME directory gave no nonce");
    return nonce;
  }

  /** A JWS POST (`payload` null: POST-as-GET); retried on badNonce, as RFC 8555 §6.5 expects clients to. */
  private async post(url: string, payload: unknown, accept = "application/json"): Promise<CallAnswer> {
    for (let attempt = 1; ; attempt++) {
      const header = {
        alg: "ES256",
        nonce: await this.freshNonce(),
        url,
        ...(this.kid ? { kid: this.kid } : { jwk: this.publicJwk }),
      };
      const body = payload === null ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(payload));
      const jws = await new FlattenedSign(body).setProtectedHeader(header).sign(this.key);
      const answer = await this.call(url, {
        method: "POST",
        headers: { "content-type": "application/jose+json", accept },
        body: JSON.stringify(jws),
      });
      if (answer.status < 400) return answer;
      const problem = parseProblem(answer);
      if (problem.type === "urn:ietf:params:acme:error:badNonce" && attempt < 5) continue;
      throw new AcmeError(`The ACME directory refused: ${problem.detail}`, problem.type);
    }
  }

  private async call(
    url: string,
    options: { method: string; headers?: Record<string, string>; body?: string },
  ) {
    const answer = await httpCall(url, { ...options, ...(this.options.ca ? { ca: this.options.ca } : {}) });
    const nonce = answer.headers["replay-nonce"];
    if (nonce) this.nonce = nonce;
    return answer;
  }
}

function parseProblem(answer: CallAnswer): { type: string | null; detail: string } {
  try {
    const p = JSON.parse(answer.body) as { type?: string; detail?: string };
    return { type: p.type ?? null, detail: p.detail ?? `HTTP ${answer.status}` };
  } catch {
    return { type: null, detail: `HTTP ${answer.status} ${answer.body.slice(0, 200)}` };
  }
}
