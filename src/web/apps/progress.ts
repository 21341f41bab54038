/** The app's current (or last) job and its log lines, for the progress panel. */
import type { AuthUser } from "../../core/identity.ts";
import type { Application, Job } from "../../db/schema.ts";
import type { WebServices } from "../context.ts";
import type { LogLine } from "./pages.tsx";

async function lastJob(services: Pick<WebServices, "jobRecords">, appId: string): Promise<Job | undefined> {
  const { items } = await services.jobRecords.list({ appId, page: 1, perPage: 1 });
  return items[0];
}

export async function progressOf(
  services: Pick<WebServices, "jobRecords" | "apps">,
  viewer: AuthUser,
  app: Application,
): Promise<{ job: Job | undefined; lines: LogLine[] }> {
  const job = await lastJob(services, app.id);
  const lines: LogLine[] = [];
  if (job) {
    const { total } = await services.apps.logs(viewer, app.id, 1, 1);
    const perPage = 100;
    const last = Math.max(1, Math.ceil(total / perPage));
    for (const p of last > 1 ? [last - 1, last] : [last]) {
      const { items } = await services.apps.logs(viewer, app.id, p, perPage);
      for (const l of items) if (l.jobId === job.id) lines.push({ level: l.level, message: l.message });
    }
  }
  return { job, lines };
}
