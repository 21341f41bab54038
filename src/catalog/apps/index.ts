/**
 * The built-in catalog, embedded in the binary: every YAML file of this directory imported as text.
 * Add one import and one map entry per new file; tests/catalog/index.test.ts fails when a file is missing here.
 */
import codeServer from "./code-server.yaml" with { type: "text" };
import forgejo from "./forgejo.yaml" with { type: "text" };
import gitea from "./gitea.yaml" with { type: "text" };
import portainer from "./portainer.yaml" with { type: "text" };

/** File name (without .yaml) → YAML text. */
export const BUILTIN_CATALOG_FILES: Readonly<Record<string, string>> = {
  "code-server": codeServer,
  "forgejo": forgejo,
  "gitea": gitea,
  "portainer": portainer,
};
