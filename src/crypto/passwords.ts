/**
 * argon2id through the runtime adapter (Bun.password under Bun, hash-wasm under Deno; each verifies the
 * other's hashes). The memory cost is configurable (PASSWORD_HASH_MEMORY_KIB). Every hash and verification
 * goes through a bounded queue: at most `concurrency` run at once and `queueLimit` wait; beyond that the
 * caller gets a BusyError (503 + retry-after) at once, so a flood of sign-ins or registrations cannot pile
 * up memory-hard work and starve everyone else.
 */
import { BusyError } from "../core/errors.ts";
import { runtime } from "../core/runtime/index.ts";

export interface HasherLimits {
  concurrency: number;
  queueLimit: number;
}

export class PasswordHasher {
  /** A real hash of a random string, verified against when a username does not exist so timing matches. */
  private dummy: Promise<string> | undefined;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly memoryCost: number,
    private readonly limits: HasherLimits = { concurrency: 4, queueLimit: 64 },
  ) {}

  hash(password: string): Promise<string> {
    return this.slot(() => this.rawHash(password));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.slot(() => runtime.verifyPassword(password, hash));
  }

  /** Verifies against a throw-away hash; always false. */
  async burn(password: string): Promise<false> {
    // Made outside the queue, once: a rejected slot must not leave a rejected promise here for good.
    this.dummy ??= this.rawHash(crypto.randomUUID());
    const dummy = await this.dummy;
    await this.verify(password, dummy);
    return false;
  }

  private rawHash(password: string): Promise<string> {
    return runtime.hashPassword(password, { memoryCost: this.memoryCost, timeCost: 2 });
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limits.concurrency) {
      if (this.waiting.length >= this.limits.queueLimit) {
        throw new BusyError("The server is busy checking passwords; try again in a moment", 2);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
