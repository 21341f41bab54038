/**
 * Simulated time. Every duration the simulator waits (task work, boot, DHCP lease, downloads) goes
 * through `wait`, which divides it by `speed`, so tests can run a 3 s create in 15 ms.
 * Wall-clock time (UPID start times, backup names, ticket ages) is real time plus an offset that
 * tests may advance (`POST /_sim/clock`) to reach, say, ticket expiry without waiting two hours.
 */
export class SimClock {
  private offsetMs = 0;

  constructor(readonly speed: number) {
    if (!(speed > 0)) throw new Error("speed must be > 0");
  }

  /** Current simulated epoch in milliseconds. */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Current simulated epoch in whole seconds, as PVE stores times. */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  /** Waits a simulated duration (real ms = ms / speed). */
  wait(ms: number): Promise<void> {
    const real = ms / this.speed;
    return new Promise((resolve) => setTimeout(resolve, real < 1 ? 0 : real));
  }
}

/** Small deterministic PRNG (mulberry32) so ids, MACs and IPs repeat when a seed is given. */
export class Rng {
  private state: number;

  constructor(seed?: number) {
    this.state = (seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  /** Duration in [lo, hi] ms, for "a create takes 2-4 s". */
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  hex(bytes: number): string {
    let s = "";
    for (let i = 0; i < bytes; i++) s += this.int(0, 255).toString(16).padStart(2, "0");
    return s;
  }

  uuid(): string {
    const h = this.hex(16);
    const v = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
