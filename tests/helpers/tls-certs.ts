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
