/** The catalog feature's public surface: the service, and turning an entry plus a user's values into files. */
export { CatalogService, iconPath, updateRefusal } from "./catalog.service.ts";
export {
  deployVariables,
  entryUrl,
  renderAppEnv,
  renderEnvFile,
  renderOciEnvironment,
  resolveEnvironment,
} from "./compose.ts";
export { brandIdLike } from "./icons/icons.ts";
