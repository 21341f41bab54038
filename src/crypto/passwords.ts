/** argon2id through Bun.password. The memory cost is configurable (PASSWORD_HASH_MEMORY_KIB). */
export class PasswordHasher {
  /** A real hash of a random string, verified against when a username does not exist so timing matches. */
  private dummy: Promise<string> | undefined;

  constructor(private readonly memoryCost: number) {}

  hash(password: string): Promise<string> {
    return Bun.password.hash(password, { algorithm: "argon2id", memoryCost: this.memoryCost, timeCost: 2 });
  }

  verify(password: string, hash: string): Promise<boolean> {
    return Bun.password.verify(password, hash).catch(() => false);
  }

  /** Verifies against a throw-away hash; always false. */
  async burn(password: string): Promise<false> {
    this.dummy ??= this.hash(crypto.randomUUID());
    await this.verify(password, await this.dummy);
    return false;
  }
}
