/**
 * One HTTP(S) request with a body, a deadline and, for private servers (Pebble in tests), extra trusted CA
 * certificates: what the ACME client and the DNS provider's API client need. node:http(s) rather than
 * fetch, because fetch has no portable way to trust a CA for one request.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface CallAnswer {
  status: number;
  /** Lower-case header names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM certificates trusted besides the system's. */
  ca?: string[];
  timeoutMs?: number;
}

const MAX_BODY = 1 << 20;

export function httpCall(url: string, options: CallOptions = {}): Promise<CallAnswer> {
  const { method = "GET", headers = {}, body, ca, timeoutMs = 15_000 } = options;
  const request = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-length": Buffer.byteLength(body) }) },
        timeout: timeoutMs,
        ...(ca?.length ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        res.on("end", () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) h[k] = Array.isArray(v) ? v.join(", ") : v;
          }
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}
