/**
 * The job kinds a queue can run, each with its one implementation. Registering a kind twice is a
 * programming error (the second would silently replace the first), so it throws; and `requireAll` lets
 * start-up refuse to run when a job type that can be enqueued has no implementation, instead of such jobs
 * staying queued forever (a worker only claims the kinds it has).
 */
import type { JobImplementation, JobType } from "./define.ts";

export class JobRegistry {
  private readonly byKind = new Map<string, JobImplementation>();

  register(implementation: JobImplementation): void {
    const { kind } = implementation.type;
    if (this.byKind.has(kind)) {
      throw new Error(`Job kind "${kind}" is registered twice; each kind has exactly one implementation`);
    }
    this.byKind.set(kind, implementation);
  }

  get(kind: string): JobImplementation | undefined {
    return this.byKind.get(kind);
  }

  has(kind: string): boolean {
    return this.byKind.has(kind);
  }

  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  get size(): number {
    return this.byKind.size;
  }

  /** Throws, naming them, when any of `types` (the kinds that can be enqueued) has no implementation. */
  requireAll(types: readonly JobType<unknown, string>[]): void {
    const missing = [...new Set(types.map((t) => t.kind))].filter((kind) => !this.byKind.has(kind));
    if (missing.length) {
      throw new Error(
        `Job kinds that can be enqueued have no implementation: ${missing.join(", ")}. ` +
          "Such jobs would stay queued forever: add each to its feature's sagas (sagas/index.ts).",
      );
    }
  }
}
