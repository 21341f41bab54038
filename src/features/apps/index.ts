/**
 * The apps feature's public surface for other features (backups runs its sagas on an app with the same
 * AppRun and status machine). Anything not exported here is internal to apps.
 */

export type { DiscoveredContainer } from "./adoption.ts";
export { AdoptBody, AppParams, type AppView, toPublicApp } from "./apps.schemas.ts";
export type { AppsService } from "./apps.service.ts";
export {
  GUARD_STEPS,
  type GuardedUpdateSpec,
  type GuardStep,
  guardedUpdateJob,
  SNAPSHOT_PREFIX,
} from "./guarded-update.ts";
export { appIconId } from "./helper-scripts/suggest.ts";
export { NOTICE_EVENTS, type Notice, type NoticeEvent, type Notify } from "./notices.ts";
export { assertWithinQuota } from "./quotas.ts";
export { type AppDeps, AppRun } from "./runtime.ts";
export {
  BUSY,
  beginOperation,
  canRun,
  isBusy,
  isStable,
  OPERATIONS,
  type Operation,
  STABLE,
  settle,
} from "./status.ts";
export { type AppTiming, DEFAULT_TIMING, type TaskKind, taskWait } from "./timing.ts";
export { type CatalogLookup, type UpdateInfo, updateInfo } from "./update-info.ts";
