/**
 * What Proximity checks from its own side (docs/access.md): that an ACME directory answers before it is
 * saved, and which certificate the proxy serves for a name (issuer, expiry), read with a TLS handshake to
 * the proxy's address — the renewal itself is Caddy's.
 */
import { request } from "node:https";
import { connect } from "node:tls";

/** Null when `url` answers as an ACME directory (RFC 8555 §7.1.1: a JSON object naming newNonce), else why not. */
export function acmeDirectoryProblem(url: string, ca?: string[], timeoutMs = 5_000): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", timeout: timeoutMs, ...(ca?.length ? { ca } : {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 65_536) body += c;
      });
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve(`it answered HTTP ${res.statusCode}`);
        try {
          const doc = JSON.parse(body) as { newNonce?: unknown; newAccount?: unknown };
          resolve(typeof doc.newNonce === "string" ? null : "its answer is not an ACME directory");
        } catch {
          resolve("its answer is not an ACME directory (not JSON)");
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", (e) => resolve(e.message));
    req.end();
  });
}

export interface ServedCertificate {
  name: string;
  issuer: string | null;
  expires_at: string | null;
  /** Why none could be read (the proxy does not answer, no certificate for the name yet). */
  problem: string | null;
}

/** The certificate the proxy at `ip` presents for `name` (not verified: only read). */
export function servedCertificate(ip: string, name: string, timeoutMs = 3_000): Promise<ServedCertificate> {
  return new Promise((resolve) => {
    const done = (c: Omit<ServedCertificate, "name">) => {
      socket.destroy();
      resolve({ name, ...c });
    };
    const socket = connect({ host: ip, port: 443, servername: name, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      if (!cert?.valid_to) return done({ issuer: null, expires_at: null, problem: "no certificate yet" });
      const issuer =
        typeof cert.issuer?.CN === "string" ? cert.issuer.CN : (cert.issuer?.O as string | undefined);
      done({ issuer: issuer ?? null, expires_at: new Date(cert.valid_to).toISOString(), problem: null });
    });
    socket.setTimeout(timeoutMs, () => done({ issuer: null, expires_at: null, problem: "no answer" }));
    socket.on("error", (e: Error) => done({ issuer: null, expires_at: null, problem: e.message }));
  });
}
