/**
 * Every job kind the application runs, registered with the queue at start-up, and the check that each job
 * type a feature can enqueue has an implementation. The enqueueable types are all the job types a feature's
 * job-types module exports (jobTypesIn), so a new type defined there but left out of its feature's sagas
 * stops start-up with its name instead of staying queued forever.
 */

import type { AccessService } from "../features/access/access.service.ts";
import { accessJobs } from "../features/access/certificate-job.ts";
import * as accessJobTypes from "../features/access/job-types.ts";
import type { AppDeps } from "../features/apps/index.ts";
import { appJobs } from "../features/apps/sagas/index.ts";
import * as appJobTypes from "../features/apps/sagas/job-types.ts";
import * as backupJobTypes from "../features/backups/job-types.ts";
import { backupJobs } from "../features/backups/sagas/index.ts";
import { notificationJobs } from "../features/notifications/deliver.ts";
import * as notificationJobTypes from "../features/notifications/job-types.ts";
import type { NotificationsService } from "../features/notifications/notifications.service.ts";
import { type JobImplementation, type JobType, jobTypesIn } from "../queue/define.ts";
import type { JobRegistry } from "../queue/registry.ts";

/** The job types services and schedulers enqueue (one job-types module per feature). */
export const ENQUEUEABLE_JOB_TYPES: readonly JobType<unknown, string>[] = [
  ...jobTypesIn(appJobTypes),
  ...jobTypesIn(backupJobTypes),
  ...jobTypesIn(notificationJobTypes),
  ...jobTypesIn(accessJobTypes),
];

/** The implementations of every feature's job kinds. */
export function jobImplementations(
  deps: AppDeps,
  notifications: NotificationsService,
  access: () => AccessService,
): JobImplementation[] {
  return [
    ...appJobs(deps),
    ...backupJobs(deps),
    ...notificationJobs(deps.db, () => notifications),
    ...accessJobs(access),
  ];
}

/**
 * Registers `implementations` and refuses to go on when one of `enqueueable` has none (or a kind is
 * registered twice): both throw with the kinds named.
 */
export function registerJobs(
  registry: JobRegistry,
  implementations: readonly JobImplementation[],
  enqueueable: readonly JobType<unknown, string>[] = ENQUEUEABLE_JOB_TYPES,
): void {
  for (const implementation of implementations) registry.register(implementation);
  registry.requireAll(enqueueable);
}
