/**
 * Failed-login limiter: a sliding window of failure times per key ("user:alice", "ip:10.0.0.1").
 * In memory, per process: good enough for one instance; several instances behind a balancer each apply
 * their own limit (documented in the README).
 */
export interface RateLimitRule {
  max: number;
  windowMs: number;
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

  fail(keys: string[]): void {
    for (const key of keys) {
      const times = this.recent(key, this.ruleFor(key));
      times.push(this.now());
      this.failures.set(key, times);
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
