/**
 * Reading jobs for people: a page of jobs filtered by owner, status, kind or app, and one job. The queue
 * (src/queue) runs jobs; this is what the /jobs routes and the web's progress panel show of them.
 */
import { desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { type Page, selectPage } from "../../db/paging.ts";
import { type Job, type JobStatus, jobs } from "../../db/schema.ts";

export interface JobFilter {
  /** With `appIds`: the user's own jobs and the jobs on those apps (the apps the user owns). */
  userId?: string;
  appIds?: string[];
  status?: JobStatus;
  kind?: string;
  appId?: string;
  page: number;
  perPage: number;
}

export class JobsService {
  constructor(private readonly db: Db) {}

  /** Newest first. */
  async list(filter: JobFilter): Promise<Page<Job>> {
    const where: SQL[] = [];
    if (filter.userId && filter.appIds) {
      where.push(
        filter.appIds.length
          ? sql`(${jobs.userId} = ${filter.userId} or ${inArray(jobs.appId, filter.appIds)})`
          : eq(jobs.userId, filter.userId),
      );
    } else if (filter.userId) where.push(eq(jobs.userId, filter.userId));
    if (filter.status) where.push(eq(jobs.status, filter.status));
    if (filter.kind) where.push(eq(jobs.kind, filter.kind));
    if (filter.appId) where.push(eq(jobs.appId, filter.appId));
    return selectPage(this.db, jobs, where, [desc(jobs.createdAt), desc(jobs.id)], filter);
  }

  async get(id: string): Promise<Job | undefined> {
    const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
    return row;
  }
}
