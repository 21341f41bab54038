/**
 * Proximity's own SSH key pair, generated once into $DATA_DIR (private key mode 0600). Its public key is put
 * into every container Proximity creates, so an admin can reach a container with Proximity's identity even
 * when pct exec is not an option (e.g. from a jump host).
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateEd25519KeyPair } from "../../crypto/ssh-keys.ts";

export function loadOrCreateSshKeyPair(dataDir: string): { publicKey: string; privateKey: string } {
  const priv = join(dataDir, "id_ed25519");
  const pub = `${priv}.pub`;
  if (existsSync(priv) && existsSync(pub)) {
    return { privateKey: readFileSync(priv, "utf8"), publicKey: readFileSync(pub, "utf8").trim() };
  }
  mkdirSync(dataDir, { recursive: true });
  const pair = generateEd25519KeyPair("proximity");
  writeFileSync(priv, pair.private, { mode: 0o600 });
  chmodSync(priv, 0o600);
  writeFileSync(pub, `${pair.public.trim()}\n`);
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}
