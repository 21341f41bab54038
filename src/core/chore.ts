/**
 * A periodic chore (the update watcher's tick, the backup scheduler, host sync …) that sleeps for as long as
 * it has nothing to do. Each run says when it wants to run again: a run that found work keeps the chore's
 * period; one that found nothing returns a longer pause, and `wake()` (an event that may give it work: an app
 * starting, a schedule saved) brings the next run forward. An idle Proximity therefore wakes seldom — each
 * run is a few statements through the embedded database and the garbage they leave (docs/performance.md,
 * "Idle").
 *
 * One run at a time: a wake-up during a run makes one more run right after it instead of one alongside it.
 */
import { log } from "./log.ts";

/** What a run returns: milliseconds until the next run, or undefined for the chore's period. */
export type ChoreRun = () => Promise<number | undefined | void>;

export class Chore {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;

  constructor(
    /** Named in the log line of a failed run. */
    private readonly name: string,
    private readonly periodMs: number,
    private readonly run: ChoreRun,
  ) {}

  /** Runs now, then as each run asks. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.loop();
  }

  /** Runs again as soon as the current run (if any) ends, whatever pause the last run asked for. */
  wake(): void {
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.loop();
  }

  /** No run is started after this; resolves when the current one ended. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private loop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next = this.periodMs;
    this.running = this.run().then(
      (ms) => {
        if (typeof ms === "number") next = ms;
      },
      (err: unknown) => log.error(`${this.name} failed`, { err }),
    );
    void this.running.finally(() => {
      this.running = undefined;
      if (!this.started) return;
      const soon = this.again;
      this.again = false;
      if (soon) this.loop();
      else this.timer = setTimeout(() => this.loop(), next);
    });
  }
}
