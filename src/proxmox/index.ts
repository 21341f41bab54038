export { ProxmoxClient } from "./client.ts";
export {
  isMissing,
  isProxmoxError,
  isTransientPveMessage,
  ProxmoxError,
  type ProxmoxErrorKind,
} from "./errors.ts";
export { TICKET_RENEW_AFTER_MS } from "./http.ts";
export { clusterNodeResolver } from "./node-resolver.ts";
export { buildPctExecCommand, commandLabel, shQuote } from "./pct-command.ts";
export {
  type HostKeyStore,
  hostKeyFingerprint,
  MemoryHostKeyStore,
  type PctExecInfo,
  type PctExecOptions,
  type PctExecResult,
  PctExecutor,
  type PctExecutorOptions,
} from "./ssh.ts";
export { isTaskSuccess, type WaitForTaskOptions, waitForTask } from "./tasks.ts";
export { normalizeFingerprint } from "./tls.ts";
export type * from "./types.ts";
export { isUpid, type ParsedUpid, parseUpid } from "./upid.ts";
