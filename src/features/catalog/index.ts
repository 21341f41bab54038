/**
 * The catalog feature's public surface: the service, turning an entry plus a user's values into files, and
 * the entry's rules as other features and tools use them: parsing a catalog file (entry-rules.ts), the compose
 * security policy (compose-policy.ts), what the OCI runtime runs of an entry (oci-service.ts) and the files an
 * entry ships into its volumes (entry-files.ts); icons by id.
 */
export { CatalogService, iconPath, updateRefusal } from "./catalog.service.ts";
export {
  appEnvValues,
  deployVariables,
  entryUrl,
  portScheme,
  renderAppEnv,
  renderEnvFile,
  renderOciEnvironment,
  resolveEnvironment,
  webPort,
} from "./compose.ts";
export { composeProblems, parseCompose } from "./compose-policy.ts";
export { dockerVolumeName, fileBytes } from "./entry-files.ts";
export { parseCatalogFile } from "./entry-rules.ts";
export { placeholdersIn, renderTemplate } from "./file-templates.ts";
export { brandIdLike } from "./icons/icons.ts";
export { type OciService, ociService } from "./oci-service.ts";
