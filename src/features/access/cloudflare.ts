/**
 * Cloudflare's DNS API (v4), the calls DNS-01 needs: check the token, find the zone of a domain, create and
 * delete the `_acme-challenge` TXT record. The token is a bearer token; it is never put into an error
 * message or a log line (errors carry Cloudflare's own `errors[].message`, which never echoes it).
 * The base URL is configurable for tests (a fake API in front of pebble-challtestsrv).
 */
import { httpCall } from "./http-call.ts";

export const CLOUDFLARE_API = "https://api.cloudflare.com";

export class DnsProviderError extends Error {
  override name = "DnsProviderError";
  constructor(
    message: string,
    /** Cloudflare refused the token (401/403, or a token that is not active): the fix is a new token. */
    readonly refused: boolean,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  success: boolean;
  errors?: { code?: number; message?: string }[];
  result: T;
}

/** What refusing a token means, and the fix, in one place: the PUT's 422 and the renewal's error say it. */
export const TOKEN_FIX =
  "create an API token under My Profile → API Tokens with the permission Zone → DNS → Edit for the zone (and Zone → Zone → Read, unless you give the zone ID)";

export class Cloudflare {
  constructor(
    private readonly token: string,
    private readonly baseUrl: string = CLOUDFLARE_API,
  ) {}

  /** Throws a DnsProviderError (refused) unless the token is valid and active. */
  async verifyToken(): Promise<void> {
    const r = await this.api<{ status?: string }>("GET", "/client/v4/user/tokens/verify");
    if (r.status !== "active") {
      throw new DnsProviderError(`Cloudflare says the API token is ${r.status ?? "not active"}`, true);
    }
  }

  /** The zone holding `domain`: the longest suffix of it (two labels at least) that is a zone of the token. */
  async findZone(domain: string): Promise<{ id: string; name: string }> {
    const labels = domain.split(".");
    for (let i = 0; i + 2 <= labels.length; i++) {
      const name = labels.slice(i).join(".");
      const zones = await this.api<{ id: string; name: string }[]>(
        "GET",
        `/client/v4/zones?name=${encodeURIComponent(name)}`,
      );
      const zone = zones.find((z) => z.name === name);
      if (zone) return { id: zone.id, name: zone.name };
    }
    throw new DnsProviderError(
      `The API token sees no Cloudflare zone that holds ${domain}: give the zone ID, or a token with Zone → Zone → Read on it`,
      true,
    );
  }

  /** The zone's name, read with its ID (checks the token may use the zone). */
  async zone(zoneId: string): Promise<{ id: string; name: string }> {
    const zone = await this.api<{ id: string; name: string }>(
      "GET",
      `/client/v4/zones/${encodeURIComponent(zoneId)}`,
    );
    return { id: zone.id, name: zone.name };
  }

  /** Creates a TXT record and returns its ID (for deleting it). */
  async createTxt(zoneId: string, name: string, content: string): Promise<string> {
    const r = await this.api<{ id: string }>(
      "POST",
      `/client/v4/zones/${encodeURIComponent(zoneId)}/dns_records`,
      {
        type: "TXT",
        name,
        content,
        ttl: 60,
      },
    );
    return r.id;
  }

  async deleteRecord(zoneId: string, recordId: string): Promise<void> {
    await this.api(
      "DELETE",
      `/client/v4/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(recordId)}`,
    );
  }

  private async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    let answer: Awaited<ReturnType<typeof httpCall>>;
    try {
      answer = await httpCall(new URL(path, this.baseUrl).toString(), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new DnsProviderError(`Cloudflare's API does not answer: ${(err as Error).message}`, false);
    }
    let envelope: Envelope<T> | undefined;
    try {
      envelope = JSON.parse(answer.body) as Envelope<T>;
    } catch {
      envelope = undefined;
    }
    const said = envelope?.errors
      ?.map((e) => e.message)
      .filter(Boolean)
      .join("; ");
    if (answer.status === 401 || answer.status === 403) {
      throw new DnsProviderError(
        `Cloudflare refused the API token (HTTP ${answer.status}${said ? `: ${said}` : ""})`,
        true,
      );
    }
    if (answer.status >= 300 || !envelope?.success) {
      throw new DnsProviderError(
        `Cloudflare's API answered HTTP ${answer.status} to ${method} ${path.split("?")[0]}${said ? `: ${said}` : ""}`,
        false,
      );
    }
    return envelope.result;
  }
}
