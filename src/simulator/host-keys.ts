/**
 * The simulated nodes' SSH host keys (the simulator keeps its own key code: it shares nothing with the
 * product it tests). ssh2 sometimes emits an Ed25519 key its own parser rejects; such a key is made again.
 */
import { utils } from "ssh2";

export function generateHostKey(): { private: string; public: string } {
  let attempts = 0;
  while (attempts++ < 20) {
    const pair = utils.generateKeyPairSync("ed25519");
    const parsed = utils.parseKey(pair.private);
    if (!(parsed instanceof Error)) return pair;
  }
  throw new Error("ssh2 produced no parseable Ed25519 host key in 20 attempts");
}
