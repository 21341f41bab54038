/**
 * The built-in catalog, embedded in the binary: every YAML file of this directory imported as text.
 * Add one import and one map entry per new file; tests/catalog/index.test.ts fails when a file is missing here.
 */
import alertmanager from "./alertmanager.yaml" with { type: "text" };
import audiobookshelf from "./audiobookshelf.yaml" with { type: "text" };
import codeServer from "./code-server.yaml" with { type: "text" };
import forgejo from "./forgejo.yaml" with { type: "text" };
import freshrss from "./freshrss.yaml" with { type: "text" };
import gitea from "./gitea.yaml" with { type: "text" };
import grafana from "./grafana.yaml" with { type: "text" };
import jellyfin from "./jellyfin.yaml" with { type: "text" };
import linkding from "./linkding.yaml" with { type: "text" };
import mealie from "./mealie.yaml" with { type: "text" };
import n8n from "./n8n.yaml" with { type: "text" };
import navidrome from "./navidrome.yaml" with { type: "text" };
import nextcloud from "./nextcloud.yaml" with { type: "text" };
import paperlessNgx from "./paperless-ngx.yaml" with { type: "text" };
import portainer from "./portainer.yaml" with { type: "text" };
import prometheus from "./prometheus.yaml" with { type: "text" };
import uptimeKuma from "./uptime-kuma.yaml" with { type: "text" };
import wikijs from "./wikijs.yaml" with { type: "text" };

/** File name (without .yaml) → YAML text. */
export const BUILTIN_CATALOG_FILES: Readonly<Record<string, string>> = {
  "alertmanager": alertmanager,
  "audiobookshelf": audiobookshelf,
  "code-server": codeServer,
  "forgejo": forgejo,
  "freshrss": freshrss,
  "gitea": gitea,
  "grafana": grafana,
  "jellyfin": jellyfin,
  "linkding": linkding,
  "mealie": mealie,
  "n8n": n8n,
  "navidrome": navidrome,
  "nextcloud": nextcloud,
  "paperless-ngx": paperlessNgx,
  "portainer": portainer,
  "prometheus": prometheus,
  "uptime-kuma": uptimeKuma,
  "wikijs": wikijs,
};
