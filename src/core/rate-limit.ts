/**
 * Attempt limiter: a sliding window of attempt times per key ("user:alice", "ip:10.0.0.1").
 * An attempt is counted *before* the expensive check (argon2) and forgiven when it succeeds, so parallel
 * guesses cannot all slip past the limit while the first ones are still being verified.
 * In memory, per process: good enough for one instance; several instances behind a balancer each apply
 * their own limit (docs/security.md).
 */
export interface RateLimitRule {
  max: number;
  windowMs: number;
}

/** A counted attempt; hand it back to `forgive` when it turned out to be legitimate. */
export interface Attempt {
  keys: string[];
  at: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly rules: { prefix: string; rule: RateLimitRule }[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the first blocked key frees up, or 0 when none of the keys is blocked. */
  retryAfter(keys: string[]): number {
    let wait = 0;
    for (const key of keys) {
      const rule = this.ruleFor(key);
      const times = this.recent(key, rule);
      if (times.length >= rule.max) wait = Math.max(wait, (times[0]! + rule.windowMs - this.now()) / 1000);
    }
    return wait;
  }

  /** Counts one attempt against every key now. Synchronous: callers check and count with no await between. */
  attempt(keys: string[]): Attempt {
    const at = this.now();
    for (const key of keys) {
      const times = this.recent(key, this.ruleFor(key));
      times.push(at);
      this.failures.set(key, times);
    }
    return { keys, at };
  }

  /** Takes back an attempt counted by `attempt` (it succeeded, or was never checked). */
  forgive(attempt: Attempt): void {
    for (const key of attempt.keys) {
      const times = this.failures.get(key);
      const i = times?.lastIndexOf(attempt.at) ?? -1;
      if (times && i >= 0) times.splice(i, 1);
      if (times?.length === 0) this.failures.delete(key);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private ruleFor(key: string): RateLimitRule {
    const found = this.rules.find((r) => key.startsWith(r.prefix));
    if (!found) throw new Error(`No rate limit rule for ${key}`);
    return found.rule;
  }

  private recent(key: string, rule: RateLimitRule): number[] {
    const cutoff = this.now() - rule.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }
}

/** At most one holder per key: "one password verification in flight per username". */
export class InFlight {
  private readonly held = new Set<string>();

  tryEnter(key: string): boolean {
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  leave(key: string): void {
    this.held.delete(key);
  }
}
