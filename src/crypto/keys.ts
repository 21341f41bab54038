/**
 * The instance secret and the keys derived from it. PROXIMITY_SECRET_KEY wins; otherwise a random key is
 * generated once into $DATA_DIR/secret.key (mode 0600). Separate HKDF info strings give independent keys
 * for JWT signing and for encrypting secrets at rest, so one never doubles as the other.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Keys {
  /** HS256 key for access tokens. */
  jwt: Uint8Array<ArrayBuffer>;
  /** AES-256-GCM key for secrets at rest, with its version (stored beside each ciphertext). */
  secrets: { version: number; key: CryptoKey };
}

export function loadOrCreateSecret(dataDir: string, configured: string | undefined): string {
  if (configured) return configured;
  const path = join(dataDir, "secret.key");
  if (existsSync(path)) {
    const value = readFileSync(path, "utf8").trim();
    if (value.length < 32) throw new Error(`${path} is corrupt (shorter than 32 characters)`);
    return value;
  }
  mkdirSync(dataDir, { recursive: true });
  const value = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return value;
}

async function hkdf(secret: string, info: string): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new TextEncoder().encode("proximity"),
      info: new TextEncoder().encode(info),
    },
    base,
    256,
  );
  return new Uint8Array(bits);
}

export async function deriveKeys(secret: string): Promise<Keys> {
  const [jwt, aes] = await Promise.all([
    hkdf(secret, "proximity/jwt/v1"),
    hkdf(secret, "proximity/secrets/v1"),
  ]);
  const key = await crypto.subtle.importKey("raw", aes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  return { jwt, secrets: { version: 1, key } };
}
