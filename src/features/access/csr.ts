/**
 * A PKCS#10 certificate signing request (RFC 2986) for an ACME order's finalize call: an ECDSA P-256 key,
 * the names as subjectAltName dNSNames in an extensionRequest attribute, signed with SHA-256. Node's crypto
 * makes keys and signatures but no CSRs, and this is the only DER Proximity writes, so the few structures are
 * encoded here rather than pulling in an ASN.1 library.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const OID = {
  commonName: "2.5.4.3",
  extensionRequest: "1.2.840.113549.1.9.14",
  subjectAltName: "2.5.29.17",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
};

/** CertificationRequestInfo for `names` (the first is also the common name when it fits its 64 characters). */
function requestInfo(names: string[], publicKey: KeyObject): Buffer {
  const first = names[0];
  if (!first) throw new Error("A certificate request needs at least one name");
  const subject =
    first.length <= 64 ? seq(set(seq(oid(OID.commonName), tlv(0x0c, Buffer.from(first, "utf8"))))) : seq();
  const spki = publicKey.export({ type: "spki", format: "der" });
  const altNames = seq(...names.map((n) => tlv(0x82, Buffer.from(n, "ascii"))));
  const extensions = seq(seq(oid(OID.subjectAltName), tlv(0x04, altNames)));
  const attributes = tlv(0xa0, seq(oid(OID.extensionRequest), set(extensions)));
  return seq(tlv(0x02, Buffer.from([0])), subject, spki, attributes);
}

/** A fresh P-256 key and the signed CSR for `names`; the key's PEM goes with the certificate. */
export function keyAndCsr(names: string[]): { keyPem: string; csr: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const info = requestInfo(names, publicKey);
  const signature = sign("sha256", info, { key: privateKey, dsaEncoding: "der" });
  const csr = seq(info, seq(oid(OID.ecdsaWithSha256)), tlv(0x03, Buffer.from([0]), signature));
  return { keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), csr };
}
