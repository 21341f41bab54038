/**
 * Typed job definitions. A job type names its kind, the zod schema of its payload and its steps, in one
 * place; enqueueing takes the type (so an unknown kind or a wrong payload does not compile), and a saga's
 * `ctx.step(name)` only accepts the type's step names (a misspelled step does not compile either). The
 * payload is validated again when a worker claims the job: a row whose payload is corrupt fails at once with
 * the reason instead of being retried.
 *
 * Types carry no dependencies, so the service that enqueues and the saga that runs share them; the saga
 * binds its dependencies with `implementJob` when the container is built.
 */
import type { z } from "zod";
import type { Job } from "../db/schema.ts";

export interface JobType<P = unknown, S extends string = string> {
  readonly kind: string;
  readonly payload: z.ZodType<P>;
  /** In order: progress is reported as {step, step_index, total_steps}. */
  readonly steps: readonly S[];
  /** Attempts including the first (default 5); transient errors are retried with backoff until then. */
  readonly maxAttempts?: number;
}

/** Marks what defineJob returns, so the job types a module exports can be found (jobTypesIn). */
const JOB_TYPE = Symbol("proximity.jobType");

export function defineJob<Schema extends z.ZodType, const S extends string>(spec: {
  kind: string;
  payload: Schema;
  steps: readonly S[];
  maxAttempts?: number;
}): JobType<z.output<Schema>, S> {
  // A zod schema parses to its output type; zod's generic parameters just cannot say so to the compiler.
  return Object.freeze({ ...spec, [JOB_TYPE]: true }) as unknown as JobType<z.output<Schema>, S>;
}

/** The job types among a module's exports (`import * as types from ".../job-types.ts"`). */
export function jobTypesIn(module: Record<string, unknown>): JobType<unknown, string>[] {
  return Object.values(module).filter(
    (value): value is JobType<unknown, string> =>
      typeof value === "object" && value !== null && JOB_TYPE in value,
  );
}

/** The context a handler of `T` gets: its payload type and its step names. */
export type ContextOf<T> = T extends JobType<infer P, infer S> ? JobContext<P, S> : never;

export interface JobContext<P = unknown, S extends string = string> {
  readonly job: Job;
  /** The job's payload, validated against its type's schema when the job was claimed. */
  readonly payload: P;
  /** Aborted when the lease is lost or the worker stops: stop at the next step. */
  readonly signal: AbortSignal;
  /** The step running now (or the last one started): compensation names it in its reason. */
  readonly currentStep: S | undefined;
  /** Free-form data persisted with the job (e.g. the VMID recorded before creating a container). */
  readonly data: Record<string, unknown>;
  /**
   * Runs a named step once: when a previous attempt completed it, its stored result is returned without
   * running it again. Publishes progress and checkpoints after the step.
   */
  step<T>(name: S, fn: () => Promise<T>): Promise<T>;
  /** Persists `data` changes now (before a side effect that compensation must know about). */
  save(patch: Record<string, unknown>): Promise<void>;
  log(message: string, level?: "info" | "warn" | "error"): Promise<void>;
}

export interface JobHandlers<P, S extends string> {
  run(ctx: JobContext<P, S>): Promise<void>;
  /** Undo what the job did after a permanent failure. Runs at most once to completion (checkpointed). */
  compensate?(ctx: JobContext<P, S>, error: unknown): Promise<void>;
}

/** A job type with its handlers bound: what the queue registers and runs. */
export interface JobImplementation {
  readonly type: JobType<unknown, string>;
  run(ctx: JobContext<unknown, string>): Promise<void>;
  compensate?(ctx: JobContext<unknown, string>, error: unknown): Promise<void>;
}

export function implementJob<P, S extends string>(
  type: JobType<P, S>,
  handlers: JobHandlers<P, S>,
): JobImplementation {
  // The queue builds each context from this very type (payload parsed by its schema, steps from its list),
  // so widening the handlers' context to the registry's common shape loses nothing.
  return { type, ...handlers } as unknown as JobImplementation;
}

/**
 * Payload key for ciphertext a job needs only while it runs (secret values, sealed by the caller). The row
 * loses it when the job ends, so finished jobs keep no secrets, not even encrypted ones.
 */
export const JOB_SECRETS_KEY = "secrets";

/** What enqueueing a job takes besides its type. */
export interface EnqueueOptions<P> {
  payload: P;
  appId?: string | null;
  userId?: string | null;
  dedupeKey?: string;
  runAfter?: Date;
  maxAttempts?: number;
}
