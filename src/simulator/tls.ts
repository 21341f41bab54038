/**
 * A self-signed certificate for `--tls`, generated at start with the `openssl` CLI (no extra
 * dependency; PVE's own pve-ssl.pem is also self-signed). The fingerprint is the SHA-256 of the DER
 * certificate in PVE's display form: uppercase hex pairs joined by colons.
 */
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsMaterial {
  key: string;
  cert: string;
  fingerprint: string;
}

export async function generateSelfSigned(commonName: string, ips: string[]): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), "pve-sim-tls-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    const san = ["DNS:localhost", `DNS:${commonName}`, ...ips.map((ip) => `IP:${ip}`)].join(",");
    const proc = Bun.spawn(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-days",
        "3650",
        "-subj",
        `/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=${commonName}`,
        "-addext",
        `subjectAltName=${san}`,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const code = await proc.exited;
    if (code !== 0) throw new Error(`openssl failed (${code}): ${await new Response(proc.stderr).text()}`);
    const [key, cert] = await Promise.all([readFile(keyPath, "utf8"), readFile(certPath, "utf8")]);
    return { key, cert, fingerprint: new X509Certificate(cert).fingerprint256.toUpperCase() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
