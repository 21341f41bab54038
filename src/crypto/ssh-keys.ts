/**
 * Ed25519 key pairs for SSH. ssh2's generateKeyPairSync occasionally (about 0.7% of calls, measured) emits an
 * OpenSSH private key that its own parser rejects ("Malformed OpenSSH private key"); such a pair is discarded
 * and generated again.
 */
import { utils } from "ssh2";

export function generateEd25519KeyPair(comment?: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = utils.generateKeyPairSync("ed25519", comment ? { comment } : {});
    if (!(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error("Could not generate a parseable Ed25519 key pair");
}
