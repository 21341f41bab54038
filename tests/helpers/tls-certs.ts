/**
 * The TLS fixtures of tests/fixtures/tls: a self-signed certificate, and a leaf signed by a CA the client
 * never sees (PVE's default pve-ssl.pem / pve-root-ca layout); `fingerprint` is what a host pins.
 */
import { X509Certificate } from "node:crypto";

const dir = `${import.meta.dir}/../fixtures/tls`;

export const CERTS = {
  selfSigned: {
    cert: await Bun.file(`${dir}/self-signed.crt`).text(),
    key: await Bun.file(`${dir}/self-signed.key`).text(),
  },
  caSigned: {
    cert: await Bun.file(`${dir}/pve-ssl.crt`).text(),
    key: await Bun.file(`${dir}/pve-ssl.key`).text(),
  },
};

export const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/**
 * A TLS server with one of the certificates that answers like PVE's GET /version; `hits` counts the
 * requests that got through the handshake. The caller stops `server` when done.
 */
export function servePveVersion(which: keyof typeof CERTS, port = 0) {
  let hits = 0;
  const server = Bun.serve({
    port,
    hostname: "127.0.0.1",
    tls: CERTS[which],
    fetch() {
      hits++;
      return Response.json({ data: { version: "8.4.1", release: "8.4", repoid: "test" } });
    },
  });
  return { url: `https://127.0.0.1:${server.port}`, port: server.port, hits: () => hits, server };
}
