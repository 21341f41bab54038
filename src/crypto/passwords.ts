/**
 * argon2id through the runtime adapter (Bun.password under Bun, hash-wasm under Deno; each verifies the
 * other's hashes). The memory cost is configurable (PASSWORD_HASH_MEMORY_KIB).
 */
import { runtime } from "../core/runtime/index.ts";

export class PasswordHasher {
  /** A real hash of a random string, verified against when a username does not exist so timing matches. */
  private dummy: Promise<string> | undefined;

  constructor(private readonly memoryCost: number) {}

  hash(password: string): Promise<string> {
    return runtime.hashPassword(password, { memoryCost: this.memoryCost, timeCost: 2 });
  }

  verify(password: string, hash: string): Promise<boolean> {
    return runtime.verifyPassword(password, hash);
  }

  /** Verifies against a throw-away hash; always false. */
  async burn(password: string): Promise<false> {
    this.dummy ??= this.hash(crypto.randomUUID());
    await this.verify(password, await this.dummy);
    return false;
  }
}
