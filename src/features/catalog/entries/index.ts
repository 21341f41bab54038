/**
 * The built-in catalog, embedded in the binary: every YAML file of this directory imported as text.
 * Add one import and one map entry per new file; tests/catalog/builtin.test.ts fails when a file is missing here.
 */
import actualBudget from "./actual-budget.yaml" with { type: "text" };
import adguardHome from "./adguard-home.yaml" with { type: "text" };
import adminer from "./adminer.yaml" with { type: "text" };
import alertmanager from "./alertmanager.yaml" with { type: "text" };
import audiobookshelf from "./audiobookshelf.yaml" with { type: "text" };
import authentik from "./authentik.yaml" with { type: "text" };
import bookstack from "./bookstack.yaml" with { type: "text" };
import caddy from "./caddy.yaml" with { type: "text" };
import calibreWeb from "./calibre-web.yaml" with { type: "text" };
import changedetection from "./changedetection.yaml" with { type: "text" };
import codeServer from "./code-server.yaml" with { type: "text" };
import couchdb from "./couchdb.yaml" with { type: "text" };
import dozzle from "./dozzle.yaml" with { type: "text" };
import esphome from "./esphome.yaml" with { type: "text" };
import fireflyIii from "./firefly-iii.yaml" with { type: "text" };
import forgejo from "./forgejo.yaml" with { type: "text" };
import freshrss from "./freshrss.yaml" with { type: "text" };
import gitea from "./gitea.yaml" with { type: "text" };
import glances from "./glances.yaml" with { type: "text" };
import gotify from "./gotify.yaml" with { type: "text" };
import grafana from "./grafana.yaml" with { type: "text" };
import homeAssistant from "./home-assistant.yaml" with { type: "text" };
import homebox from "./homebox.yaml" with { type: "text" };
import homepage from "./homepage.yaml" with { type: "text" };
import immich from "./immich.yaml" with { type: "text" };
import influxdb from "./influxdb.yaml" with { type: "text" };
import itTools from "./it-tools.yaml" with { type: "text" };
import jellyfin from "./jellyfin.yaml" with { type: "text" };
import joplinServer from "./joplin-server.yaml" with { type: "text" };
import karakeep from "./karakeep.yaml" with { type: "text" };
import kavita from "./kavita.yaml" with { type: "text" };
import keycloak from "./keycloak.yaml" with { type: "text" };
import linkding from "./linkding.yaml" with { type: "text" };
import loki from "./loki.yaml" with { type: "text" };
import mealie from "./mealie.yaml" with { type: "text" };
import meilisearch from "./meilisearch.yaml" with { type: "text" };
import memos from "./memos.yaml" with { type: "text" };
import n8n from "./n8n.yaml" with { type: "text" };
import navidrome from "./navidrome.yaml" with { type: "text" };
import netdata from "./netdata.yaml" with { type: "text" };
import nextcloud from "./nextcloud.yaml" with { type: "text" };
import nginxProxyManager from "./nginx-proxy-manager.yaml" with { type: "text" };
import nodeRed from "./node-red.yaml" with { type: "text" };
import ntfy from "./ntfy.yaml" with { type: "text" };
import openWebui from "./open-webui.yaml" with { type: "text" };
import paperlessNgx from "./paperless-ngx.yaml" with { type: "text" };
import pgadmin from "./pgadmin.yaml" with { type: "text" };
import photoprism from "./photoprism.yaml" with { type: "text" };
import pihole from "./pihole.yaml" with { type: "text" };
import portainer from "./portainer.yaml" with { type: "text" };
import prometheus from "./prometheus.yaml" with { type: "text" };
import prowlarr from "./prowlarr.yaml" with { type: "text" };
import proximityProxy from "./proximity-proxy.yaml" with { type: "text" };
import qbittorrent from "./qbittorrent.yaml" with { type: "text" };
import radarr from "./radarr.yaml" with { type: "text" };
import seerr from "./seerr.yaml" with { type: "text" };
import sonarr from "./sonarr.yaml" with { type: "text" };
import stirlingPdf from "./stirling-pdf.yaml" with { type: "text" };
import syncthing from "./syncthing.yaml" with { type: "text" };
import uptimeKuma from "./uptime-kuma.yaml" with { type: "text" };
import vaultwarden from "./vaultwarden.yaml" with { type: "text" };
import vikunja from "./vikunja.yaml" with { type: "text" };
import wgEasy from "./wg-easy.yaml" with { type: "text" };
import wikijs from "./wikijs.yaml" with { type: "text" };

/** File name (without .yaml) → YAML text. */
export const BUILTIN_CATALOG_FILES: Readonly<Record<string, string>> = {
  "actual-budget": actualBudget,
  "adguard-home": adguardHome,
  adminer: adminer,
  alertmanager: alertmanager,
  audiobookshelf: audiobookshelf,
  authentik: authentik,
  bookstack: bookstack,
  caddy: caddy,
  "calibre-web": calibreWeb,
  changedetection: changedetection,
  "code-server": codeServer,
  couchdb: couchdb,
  dozzle: dozzle,
  esphome: esphome,
  "firefly-iii": fireflyIii,
  forgejo: forgejo,
  freshrss: freshrss,
  gitea: gitea,
  glances: glances,
  gotify: gotify,
  grafana: grafana,
  "home-assistant": homeAssistant,
  homebox: homebox,
  homepage: homepage,
  immich: immich,
  influxdb: influxdb,
  "it-tools": itTools,
  jellyfin: jellyfin,
  "joplin-server": joplinServer,
  karakeep: karakeep,
  kavita: kavita,
  keycloak: keycloak,
  linkding: linkding,
  loki: loki,
  mealie: mealie,
  meilisearch: meilisearch,
  memos: memos,
  n8n: n8n,
  navidrome: navidrome,
  netdata: netdata,
  nextcloud: nextcloud,
  "nginx-proxy-manager": nginxProxyManager,
  "node-red": nodeRed,
  ntfy: ntfy,
  "open-webui": openWebui,
  "paperless-ngx": paperlessNgx,
  pgadmin: pgadmin,
  photoprism: photoprism,
  pihole: pihole,
  portainer: portainer,
  prometheus: prometheus,
  "proximity-proxy": proximityProxy,
  prowlarr: prowlarr,
  qbittorrent: qbittorrent,
  radarr: radarr,
  seerr: seerr,
  sonarr: sonarr,
  "stirling-pdf": stirlingPdf,
  syncthing: syncthing,
  "uptime-kuma": uptimeKuma,
  vaultwarden: vaultwarden,
  vikunja: vikunja,
  "wg-easy": wgEasy,
  wikijs: wikijs,
};
