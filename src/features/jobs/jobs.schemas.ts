/** The public shape of a job (the /jobs API, and the job returned by every operation that enqueues one). */
import { z } from "@hono/zod-openapi";
import { JOB_STATUSES, type Job } from "../../db/schema.ts";

export const JobSchema = z
  .object({
    id: z.string().uuid(),
    kind: z.string().openapi({ example: "deploy_app" }),
    status: z.enum(JOB_STATUSES),
    progress: z
      .object({ step: z.string(), step_index: z.number().int(), total_steps: z.number().int() })
      .nullable(),
    error: z.string().nullable(),
    app_id: z.string().uuid().nullable(),
    attempts: z.number().int(),
    created_at: z.string().datetime(),
    started_at: z.string().datetime().nullable(),
    finished_at: z.string().datetime().nullable(),
  })
  .openapi("Job");

export function toPublicJob(j: Job): z.infer<typeof JobSchema> {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    progress: j.progress ?? null,
    error: j.error,
    app_id: j.appId,
    attempts: j.attempts,
    created_at: j.createdAt.toISOString(),
    started_at: j.startedAt ? j.startedAt.toISOString() : null,
    finished_at: j.finishedAt ? j.finishedAt.toISOString() : null,
  };
}
