/** The common shape every store format's reader produces, and what an import reports per app (translate.ts). */
import type { CatalogEntry, CatalogEnv, DeployVariable, Generator } from "../catalog.schemas.ts";
import { appDirs, type Seed, type StoreFiles } from "./files.ts";

export const STORE_FORMATS = ["runtipi", "casaos", "umbrel"] as const;
export type StoreFormat = (typeof STORE_FORMATS)[number];

/** A setting the store asks the user for (or generates), before it becomes a catalog env. */
export interface StoreField {
  name: string;
  description: string;
  type?: CatalogEnv["type"];
  secret?: boolean;
  required?: boolean;
  default?: string;
  generate?: Generator;
  pattern?: string;
  pattern_message?: string;
}

/** What a store-provided variable becomes in Proximity. */
export type VarMapping =
  | { kind: "deploy"; name: DeployVariable }
  | { kind: "literal"; value: string }
  | { kind: "field"; field: StoreField }
  | { kind: "refuse"; reason: string };

export interface StoreIcon {
  ext: "png" | "jpg";
  body: Uint8Array;
}

export interface StoreApp {
  format: StoreFormat;
  /** The store's id for the app (its directory name); becomes the entry id's second half. */
  appId: string;
  name: string;
  version: string;
  /** Plain text or Markdown (rendered as plain text). */
  description: string;
  tagline?: string | undefined;
  categories: string[];
  website?: string | undefined;
  icon?: StoreIcon | undefined;
  /** Docker architectures the store says the app runs on; undefined when it does not say. */
  architectures?: string[] | undefined;
  /** Compose services as the store wrote them, format-specific keys already mapped to compose's. */
  services: Record<string, Record<string, unknown>>;
  /** The compose file's top-level `configs` (files a service mounts, e.g. with inline `content`). */
  configs?: Record<string, unknown> | undefined;
  /**
   * The app's main service, and the port its web interface listens on inside its container; no port for an
   * app without a web interface (a daemon such as a DNS updater, a VPN client, a database).
   */
  main: string;
  mainPort?: number | undefined;
  /** The service whose image is the app's release, when it is not `main` (a web front before the app). */
  appService?: string | undefined;
  /** `https` when the main port serves TLS itself (CasaOS `scheme: https`); http otherwise. */
  mainScheme?: "https" | undefined;
  /** The path the store opens (CasaOS `index`, Umbrel `path`); "/" when it names none. */
  path?: string | undefined;
  /** Settings the store declares for the user (Runtipi `form_fields`, CasaOS `envs`). */
  fields: StoreField[];
  /** Store-provided variables (everything not a field); undefined for a name the store does not provide. */
  vars: (name: string) => VarMapping | undefined;
  /** Where the app's own data lives on the store's host (the prefix is replaced by a volume). */
  dataRoot: RegExp;
  /** The store's shared storage (media, downloads): becomes a volume of the app's own. */
  sharedRoot?: RegExp | undefined;
  /**
   * What the store ships at `rest` of the app's data directory (copied there by its platform at install):
   * the entry ships the same files into the volume that stands in for it. Undefined: the store ships none.
   */
  seeds?: ((rest: string) => Seed) | undefined;
  /**
   * The store renders `x.template` files into `x` with `{{NAME}}` placeholders (Runtipi): they become
   * template files of the entry. Otherwise a template refuses the app (its syntax is not Proximity's).
   */
  templates?: boolean | undefined;
  /** Memory the manifest asks for, in MB. */
  memoryMb?: number | undefined;
  notes: string[];
  /** Reasons the reader already knows the app cannot be imported. */
  refusals: string[];
}

/** An app its reader could not read into a StoreApp: what the report calls it, and why. */
export interface UnreadableApp {
  appId: string;
  name: string;
  refusal: string;
}

/** What a store format's reader gives for one app of the store. */
export type StoreRead = StoreApp | UnreadableApp;

/**
 * A reader's loop: `read` for every directory under `dir` that holds `manifest`. A directory whose reading
 * throws is that app's refusal, named after the directory (`idOf` gives its id), and never stops the others.
 */
export function readApps(
  files: StoreFiles,
  dir: string,
  manifest: string,
  read: (dirName: string) => StoreRead,
  idOf: (dirName: string) => string = (dirName) => dirName,
): StoreRead[] {
  return appDirs(files, dir, manifest).map((dirName) => {
    try {
      return read(dirName);
    } catch (err) {
      return { appId: idOf(dirName), name: dirName, refusal: (err as Error).message };
    }
  });
}

export interface ImportedEntry {
  /** The namespaced id (`<source>/<app>`). */
  id: string;
  name: string;
  status: "imported" | "refused";
  /** Why it was refused; for an imported entry, what was changed on the way (notes). */
  reasons: string[];
  entry?: CatalogEntry | undefined;
  icon?: StoreIcon | undefined;
}

/** The architecture entries must run on (Proxmox VE runs on amd64). */
export const CLUSTER_ARCHITECTURE = "amd64";
