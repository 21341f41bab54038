/** The catalog feature's public surface: the service, and turning an entry plus a user's values into files. */
export { CatalogService } from "./catalog.service.ts";
export { renderEnvFile, resolveEnvironment } from "./compose.ts";
