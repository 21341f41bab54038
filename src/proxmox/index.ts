export { ProxmoxClient } from "./client.ts";
export { assertEntrypoint, formatEnv, parseEnv } from "./encoding.ts";
export {
  isMissing,
  isProxmoxError,
  isTransientPveMessage,
  ProxmoxError,
  type ProxmoxErrorKind,
} from "./errors.ts";
export { TICKET_RENEW_AFTER_MS } from "./http.ts";
export { clusterNodeResolver } from "./node-resolver.ts";
export { assertOciReference, assertOciRepository, ociArchiveVolid } from "./oci.ts";
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
export {
  pickStorage,
  rootfsSizeBytes,
  type StorageRole,
  type StorageSetting,
  storageFor,
} from "./storage-choice.ts";
export { isTaskSuccess, type WaitForTaskOptions, waitForTask } from "./tasks.ts";
export {
  compareVersions,
  type Distro,
  OS_TEMPLATE_WISHES,
  parseTemplateName,
  pickAppliance,
  pickStored,
  type TemplateChoice,
  type TemplateWish,
} from "./templates.ts";
export { normalizeFingerprint } from "./tls.ts";
export type * from "./types.ts";
export { isUpid, type ParsedUpid, parseUpid } from "./upid.ts";
