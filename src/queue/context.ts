/**
 * Builds the context a job's handlers run with: `step` runs each named step once across attempts (a step
 * completed by an earlier attempt returns its stored result), publishes progress and checkpoints after it;
 * `save` persists free-form data; `log` mirrors the job's own log lines to the process log.
 */
import type { Logger } from "../core/log.ts";
import type { Job } from "../db/schema.ts";
import type { JobContext } from "./define.ts";
import type { EventBus } from "./events.ts";

/** What a job row's `checkpoint` holds between attempts. */
export interface Checkpoint {
  steps?: Record<string, { done: true; value: unknown }>;
  data?: Record<string, unknown>;
  compensating?: boolean;
  compensated?: boolean;
  failure?: string;
}

/** Raised through a step when the worker lost the job's lease (another worker resumes it). */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

export interface ContextParts {
  job: Job;
  payload: unknown;
  steps: readonly string[];
  /** Mutated in place: completed steps and `data` are recorded on it before each persist. */
  checkpoint: Checkpoint & { steps: NonNullable<Checkpoint["steps"]>; data: Record<string, unknown> };
  signal: AbortSignal;
  events: EventBus;
  log: Logger;
  /** Writes the checkpoint (with extra columns such as progress) while the worker holds the lease. */
  persist: (extra?: { progress?: Job["progress"] }) => Promise<void>;
}

export function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}

export function buildJobContext(parts: ContextParts): JobContext {
  const { job, steps, checkpoint, signal, events, log: jlog, persist } = parts;
  let currentStep: string | undefined = job.progress?.step;
  const ctx: JobContext = {
    job,
    payload: parts.payload,
    get currentStep() {
      return currentStep;
    },
    signal,
    data: checkpoint.data,
    step: async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const done = checkpoint.steps[name];
      if (done) return done.value as T;
      if (signal.aborted) throw signal.reason ?? new LeaseLostError("aborted");
      currentStep = name;
      const index = steps.indexOf(name);
      // Step names are checked at compile time; this guards a definition built around the types.
      if (index < 0) throw new Error(`Job ${job.kind} has no step "${name}"`);
      const progress = { step: name, step_index: index + 1, total_steps: steps.length };
      jlog.info("Job step started", progress);
      const stepStarted = performance.now();
      await persist({ progress });
      await events.publish({
        type: "job.progress",
        job_id: job.id,
        app_id: job.appId,
        kind: job.kind,
        ...progress,
      });
      const value = await fn();
      checkpoint.steps[name] = { done: true, value: value ?? null };
      await persist();
      jlog.debug("Job step finished", { step: name, duration_ms: elapsedMs(stepStarted) });
      return value;
    },
    save: async (patch) => {
      Object.assign(checkpoint.data, patch);
      await persist();
    },
    log: async (message, level = "info") => {
      // The job's own log (shown to users) is mirrored: info lines at debug, since the step lines above
      // already say where a job is; warnings and errors at their level.
      jlog[level === "info" ? "debug" : level](message, { step: currentStep });
      await events.publish({ type: "job.log", job_id: job.id, app_id: job.appId, level, message });
    },
  };
  return ctx;
}
