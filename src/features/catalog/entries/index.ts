/**
 * The built-in catalog, embedded in the binary: every YAML file of this directory imported as text.
 * Add one import and one map entry per new file; tests/catalog/builtin.test.ts fails when a file is missing here.
 */
import adguardHome from "./adguard-home.yaml" with { type: "text" };
import adminer from "./adminer.yaml" with { type: "text" };
import alertmanager from "./alertmanager.yaml" with { type: "text" };
import audiobookshelf from "./audiobookshelf.yaml" with { type: "text" };
import codeServer from "./code-server.yaml" with { type: "text" };
import couchdb from "./couchdb.yaml" with { type: "text" };
import esphome from "./esphome.yaml" with { type: "text" };
import forgejo from "./forgejo.yaml" with { type: "text" };
import freshrss from "./freshrss.yaml" with { type: "text" };
import gitea from "./gitea.yaml" with { type: "text" };
import gotify from "./gotify.yaml" with { type: "text" };
import grafana from "./grafana.yaml" with { type: "text" };
import homeAssistant from "./home-assistant.yaml" with { type: "text" };
import homepage from "./homepage.yaml" with { type: "text" };
import influxdb from "./influxdb.yaml" with { type: "text" };
import itTools from "./it-tools.yaml" with { type: "text" };
import jellyfin from "./jellyfin.yaml" with { type: "text" };
import keycloak from "./keycloak.yaml" with { type: "text" };
import linkding from "./linkding.yaml" with { type: "text" };
import mealie from "./mealie.yaml" with { type: "text" };
import meilisearch from "./meilisearch.yaml" with { type: "text" };
import n8n from "./n8n.yaml" with { type: "text" };
import navidrome from "./navidrome.yaml" with { type: "text" };
import nextcloud from "./nextcloud.yaml" with { type: "text" };
import nginxProxyManager from "./nginx-proxy-manager.yaml" with { type: "text" };
import nodeRed from "./node-red.yaml" with { type: "text" };
import ntfy from "./ntfy.yaml" with { type: "text" };
import paperlessNgx from "./paperless-ngx.yaml" with { type: "text" };
import pgadmin from "./pgadmin.yaml" with { type: "text" };
import pihole from "./pihole.yaml" with { type: "text" };
import portainer from "./portainer.yaml" with { type: "text" };
import prometheus from "./prometheus.yaml" with { type: "text" };
import stirlingPdf from "./stirling-pdf.yaml" with { type: "text" };
import syncthing from "./syncthing.yaml" with { type: "text" };
import uptimeKuma from "./uptime-kuma.yaml" with { type: "text" };
import vaultwarden from "./vaultwarden.yaml" with { type: "text" };
import wikijs from "./wikijs.yaml" with { type: "text" };

/** File name (without .yaml) → YAML text. */
export const BUILTIN_CATALOG_FILES: Readonly<Record<string, string>> = {
  "adguard-home": adguardHome,
  adminer: adminer,
  alertmanager: alertmanager,
  audiobookshelf: audiobookshelf,
  "code-server": codeServer,
  couchdb: couchdb,
  esphome: esphome,
  forgejo: forgejo,
  freshrss: freshrss,
  gitea: gitea,
  gotify: gotify,
  grafana: grafana,
  "home-assistant": homeAssistant,
  homepage: homepage,
  influxdb: influxdb,
  "it-tools": itTools,
  jellyfin: jellyfin,
  keycloak: keycloak,
  linkding: linkding,
  mealie: mealie,
  meilisearch: meilisearch,
  n8n: n8n,
  navidrome: navidrome,
  nextcloud: nextcloud,
  "nginx-proxy-manager": nginxProxyManager,
  "node-red": nodeRed,
  ntfy: ntfy,
  "paperless-ngx": paperlessNgx,
  pgadmin: pgadmin,
  pihole: pihole,
  portainer: portainer,
  prometheus: prometheus,
  "stirling-pdf": stirlingPdf,
  syncthing: syncthing,
  "uptime-kuma": uptimeKuma,
  vaultwarden: vaultwarden,
  wikijs: wikijs,
};
