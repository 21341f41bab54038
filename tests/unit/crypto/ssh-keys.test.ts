/**
 * Proximity's SSH key pairs are written in OpenSSH's formats by src/crypto/ssh-keys.ts (node:crypto, no ssh2 at
 * start): ssh2 — what connects to the nodes and what the simulator's SSH server parses keys with — must read
 * every one, the two halves must belong together, and the private key must sign what the public one verifies.
 */
import { describe, expect, test } from "bun:test";
import { type ParsedKey, utils } from "ssh2";
import { generateEd25519KeyPair } from "../../../src/crypto/ssh-keys.ts";

function parsed(text: string): ParsedKey {
  const key = utils.parseKey(text);
  if (key instanceof Error) throw key;
  return Array.isArray(key) ? key[0]! : key;
}

describe("Ed25519 key pairs in OpenSSH format", () => {
  test("the public line is `ssh-ed25519 <base64> comment` and the private key is PEM-wrapped at 70 columns", () => {
    const pair = generateEd25519KeyPair("proximity");
    expect(pair.public).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} proximity$/);
    expect(pair.private.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n")).toBe(true);
    expect(pair.private.endsWith("\n-----END OPENSSH PRIVATE KEY-----\n")).toBe(true);
    for (const line of pair.private.trim().split("\n").slice(1, -1))
      expect(line.length).toBeLessThanOrEqual(70);
    expect(generateEd25519KeyPair().public).toMatch(/^ssh-ed25519 \S+$/);
  });

  test("500 pairs: ssh2 reads both halves, they match, and a signature verifies", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const pair = generateEd25519KeyPair(i % 2 ? "proximity" : "");
      const priv = parsed(pair.private);
      const pub = parsed(pair.public);
      expect(priv.type).toBe("ssh-ed25519");
      expect(priv.comment).toBe(i % 2 ? "proximity" : "");
      expect(priv.getPublicSSH().equals(pub.getPublicSSH())).toBe(true);
      const data = Buffer.from(`message ${i}`);
      expect(pub.verify(data, priv.sign(data))).toBe(true);
      seen.add(pair.public);
    }
    expect(seen.size).toBe(500);
  });
});
