/** The Sentry layer's public helpers. Features import from here, never from @sentry/bun. */
export { breadcrumb, jobStep, systemEvent, userAction } from "./breadcrumbs.ts";
export { captureError, reportMessage, setOperation, setRequestUser, withOperation } from "./capture.ts";
export { classifyError, hostInfoFromUrl, type ProxmoxHostInfo, registerProxmoxHost } from "./classify.ts";
export { instrumentPglite, instrumentPostgres } from "./db.ts";
export { runJob } from "./jobs.ts";
export { instrumentApp } from "./middleware.ts";
export { hostsObservers, onPctExec, onProxmoxCall, proxmoxObservers } from "./proxmox.ts";
export { flushObservability } from "./shutdown.ts";
export { isObservabilityEnabled, observabilitySettings } from "./state.ts";
