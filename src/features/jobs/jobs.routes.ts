/** /api/v1/jobs: a user sees their own jobs (and jobs on their apps); an admin sees all. */
import { z } from "@hono/zod-openapi";
import { NotFoundError } from "../../core/errors.ts";
import type { AuthUser } from "../../core/identity.ts";
import { JOB_STATUSES, type Job } from "../../db/schema.ts";
import { authed } from "../../http/guards.ts";
import { createRouter, idParams, jsonResponse, routesFor } from "../../http/openapi.ts";
import { listSchema, PaginationQuery, pageOf } from "../../http/paging.ts";
import { JobSchema, toPublicJob } from "./jobs.schemas.ts";
import type { JobsService } from "./jobs.service.ts";

/** What the /jobs routes use: the jobs as people see them, and which apps a user owns. */
export interface JobsRouteServices {
  jobRecords: JobsService;
  /** Ids of the apps a user owns (a user sees the jobs on their apps). */
  ownedAppIds: (userId: string) => Promise<string[]>;
}

/** Whether the user may see this job: admins always; others when they started it or own its app. */
async function canSeeJob(services: JobsRouteServices, user: AuthUser, job: Job): Promise<boolean> {
  if (user.role === "admin" || job.userId === user.id) return true;
  if (!job.appId) return false;
  return (await services.ownedAppIds(user.id)).includes(job.appId);
}

const user = routesFor(authed, "jobs");

const list = user.get("/jobs", {
  operationId: "listJobs",
  summary: "Jobs, newest first",
  request: {
    query: PaginationQuery.extend({
      status: z.enum(JOB_STATUSES).optional(),
      kind: z.string().max(64).optional(),
      app_id: z.string().uuid().optional(),
    }),
  },
  responses: { 200: jsonResponse(listSchema(JobSchema, "JobList"), "Jobs") },
});

const get = user.get("/jobs/{job_id}", {
  operationId: "getJob",
  summary: "A job with its progress",
  request: { params: idParams("job_id") },
  responses: { 200: jsonResponse(JobSchema, "The job") },
});

export function jobsRoutes() {
  return createRouter<JobsRouteServices>()
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      const user = c.get("user");
      const services = c.get("services");
      const scope =
        user.role === "admin" ? {} : { userId: user.id, appIds: await services.ownedAppIds(user.id) };
      const found = await services.jobRecords.list({
        ...scope,
        ...(q.status ? { status: q.status } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.app_id ? { appId: q.app_id } : {}),
        page: q.page,
        perPage: q.per_page,
      });
      return c.json(pageOf(q, found, toPublicJob), 200);
    })
    .openapi(get, async (c) => {
      const services = c.get("services");
      const job = await services.jobRecords.get(c.req.valid("param").job_id);
      if (!job || !(await canSeeJob(services, c.get("user"), job))) throw new NotFoundError("Job");
      return c.json(toPublicJob(job), 200);
    });
}
