/**
 * Secrets at rest (Proxmox token secrets, SSH passwords, app passwords): AES-256-GCM with a random 96-bit
 * IV, stored as "v<keyVersion>:<base64 iv>:<base64 ciphertext+tag>". A wrong key fails loudly.
 */
import type { Keys } from "./keys.ts";

export class SecretDecryptionError extends Error {
  override name = "SecretDecryptionError";
}

export async function encryptSecret(keys: Keys, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    keys.secrets.key,
    new TextEncoder().encode(plaintext),
  );
  return `v${keys.secrets.version}:${Buffer.from(iv).toString("base64")}:${Buffer.from(data).toString("base64")}`;
}

export async function decryptSecret(keys: Keys, stored: string): Promise<string> {
  const [version, iv, data] = stored.split(":");
  if (!version || !iv || !data || version !== `v${keys.secrets.version}`) {
    throw new SecretDecryptionError(`Unsupported secret format or key version (${version ?? "none"})`);
  }
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: Buffer.from(iv, "base64") },
      keys.secrets.key,
      Buffer.from(data, "base64"),
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new SecretDecryptionError(
      "A stored secret could not be decrypted: PROXIMITY_SECRET_KEY (or $DATA_DIR/secret.key) differs from the key it was encrypted with",
    );
  }
}
