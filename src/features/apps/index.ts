/**
 * The apps feature's public surface for other features (backups runs its sagas on an app with the same
 * AppRun and status machine). Anything not exported here is internal to apps.
 */
export type { AppsService } from "./apps.service.ts";
export { toPublicApp } from "./apps.service.ts";
export { type AppDeps, AppRun, type AppTiming, DEFAULT_TIMING } from "./runtime.ts";
export { beginOperation, settle } from "./status.ts";
