/**
 * Ed25519 key pairs for SSH, in OpenSSH's formats, made with node:crypto. (ssh2 could make them, but
 * importing ssh2 costs ~0.1–0.3 s of every start while the key is only made on a first start; ssh2 is now
 * loaded when Proximity first opens an SSH connection. Its generator also emitted a private key its own
 * parser rejected in about 0.7 % of calls.)
 *
 * The formats (OpenSSH's PROTOCOL.key and RFC 8709):
 * - public: `ssh-ed25519 <base64(string "ssh-ed25519", string pub)> comment`;
 * - private: "openssh-key-v1\0", cipher "none", kdf "none", no kdf options, one key, its public blob, then
 *   the unencrypted section: check integer twice, "ssh-ed25519", pub, seed ‖ pub, comment, padding 1, 2, 3 …
 *   to a multiple of 8, base64 in 70-column lines between the BEGIN/END markers.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";

function sshString(data: Uint8Array | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function generateEd25519KeyPair(comment = ""): { private: string; public: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The raw 32-byte keys are the last 32 bytes of their DER encodings (SPKI and PKCS #8 for Ed25519).
  const pub = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  const seed = privateKey.export({ type: "pkcs8", format: "der" }).subarray(-32);
  const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
  const check = randomBytes(4).readUInt32BE();
  let section = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]).toString("base64");
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
    public: `ssh-ed25519 ${publicBlob.toString("base64")}${comment ? ` ${comment}` : ""}`,
  };
}
