/**
 * Umbrel's app store (https://github.com/getumbrel/umbrel-apps): `<id>/umbrel-app.yml` (the manifest: name,
 * version, tagline, description, category, website, `port`, `path`, `dependencies`) and
 * `<id>/docker-compose.yml`. Its `app_proxy` service is Umbrel's own reverse proxy: it is not deployed, but
 * its `APP_HOST` (`<id>_<service>_1`, or an IP from `exports.sh`) names the app's web service and
 * `APP_PORT` the port it listens on.
 *
 * Umbrel's variables: `${APP_DATA_DIR}` (the app's data: volumes), `${UMBREL_ROOT}/data/storage` (shared
 * storage: a volume of the app's own), `${DEVICE_DOMAIN_NAME}` / `${DEVICE_HOSTNAME}` (→ APP_HOSTNAME),
 * `${APP_PASSWORD}` / `${APP_SEED}` (secrets generated per install), values of the app's own `exports.sh`.
 * An app that depends on another Umbrel app (`dependencies`: bitcoin, lightning, …) or uses another app's
 * exported values is refused with that reason: those apps are Umbrel's, wired by Umbrel.
 */
import { type StoreFiles, seedAt, textOf } from "./files.ts";
import { readApps, type StoreRead, type VarMapping } from "./model.ts";
import { DocumentError, isRecord, parseStoreYaml, str } from "./yaml.ts";

export interface Exports {
  /** `export NAME="value"` with a literal value. */
  literal: Map<string, string>;
  /** Names exported with a value the script computes: `derive_entropy` ones are secrets. */
  computed: Map<string, "secret" | "other">;
}

/** The `export` lines of an app's exports.sh (never run: literal values are read, computed ones named). */
export function readExports(text: string | undefined): Exports {
  const out: Exports = { literal: new Map(), computed: new Map() };
  for (const line of (text ?? "").split("\n")) {
    const m = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(?:"([^"$`\\]*)"|'([^']*)'|([^\s"'$`\\;]*))\s*(?:#.*)?$/.exec(
      line,
    );
    if (m) out.literal.set(m[1]!, m[2] ?? m[3] ?? m[4] ?? "");
    else {
      const c = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
      if (c) out.computed.set(c[1]!, /derive_entropy/.test(c[2]!) ? "secret" : "other");
    }
  }
  return out;
}

function vars(exports: Exports): (name: string) => VarMapping | undefined {
  return (name) => {
    switch (name) {
      case "DEVICE_DOMAIN_NAME":
      case "DEVICE_HOSTNAME":
      case "APP_DOMAIN":
        return { kind: "deploy", name: "APP_HOSTNAME" };
      case "APP_PASSWORD":
        return {
          kind: "field",
          field: {
            name: "APP_PASSWORD",
            description: "The app's password (generated at install)",
            secret: true,
            generate: "password",
          },
        };
      case "APP_SEED":
        return {
          kind: "field",
          field: {
            name: "APP_SEED",
            description: "A secret seed the app derives keys from (generated at install)",
            secret: true,
            generate: "hex32",
          },
        };
      case "APP_DATA_DIR":
        return { kind: "refuse", reason: "uses ${APP_DATA_DIR} outside a volume" };
      case "UMBREL_ROOT":
        return { kind: "refuse", reason: "uses ${UMBREL_ROOT} (Umbrel's own install folder)" };
    }
    const own = exports.literal.get(name);
    if (own !== undefined && !/_IP$/.test(name)) return { kind: "literal", value: own };
    const computed = exports.computed.get(name);
    if (computed === "secret")
      return {
        kind: "field",
        field: {
          name,
          description: `${name} (a secret generated at install)`,
          secret: true,
          generate: "hex32",
        },
      };
    if (computed && /_LOCAL_URLS?$/.test(name)) return { kind: "deploy", name: "APP_URL" };
    if (computed && /_LOCAL_IPS?$/.test(name)) return { kind: "deploy", name: "APP_ADDRESS" };
    if (/^TOR_|_HIDDEN_SERVICE$/.test(name))
      return { kind: "refuse", reason: `uses \${${name}}: needs Umbrel's Tor service` };
    if (
      /^APP_[A-Z0-9_]+_(IP|PORT|DIR|USER|PASS|NETWORK|HOST|PATH)$/.test(name) ||
      /^APP_(BITCOIN|LIGHTNING|ELECTRS|CORE_LIGHTNING)/.test(name)
    )
      return { kind: "refuse", reason: `uses \${${name}}, a value another Umbrel app provides` };
    return undefined;
  };
}

export function readUmbrel(files: StoreFiles): StoreRead[] {
  return readApps(files, "", "umbrel-app.yml", (appId) => umbrelApp(files, appId));
}

/** The app of `<appId>/`. */
function umbrelApp(files: StoreFiles, appId: string): StoreRead {
  const manifest = parseStoreYaml(textOf(files, `${appId}/umbrel-app.yml`) ?? "", "umbrel-app.yml");
  if (!isRecord(manifest)) throw new DocumentError("umbrel-app.yml is not a mapping");
  const name = str(manifest.name) ?? appId;
  const compose = textOf(files, `${appId}/docker-compose.yml`);
  if (compose === undefined) {
    return { appId, name, refusal: "has no docker-compose.yml" };
  }
  const doc = parseStoreYaml(compose, "docker-compose.yml");
  if (!isRecord(doc) || !isRecord(doc.services))
    throw new DocumentError("docker-compose.yml has no services");
  const exports = readExports(textOf(files, `${appId}/exports.sh`));
  const refusals: string[] = [];
  const deps = (Array.isArray(manifest.dependencies) ? manifest.dependencies : []).map(String);
  if (deps.length > 0) refusals.push(`needs the Umbrel app${deps.length > 1 ? "s" : ""} ${deps.join(", ")}`);
  if (manifest.disabled === true) refusals.push("the store marks it disabled");
  const services: Record<string, Record<string, unknown>> = {};
  let main: string | undefined;
  let mainPort: number | undefined;
  const proxy = doc.services.app_proxy;
  for (const [svcName, svc] of Object.entries(doc.services)) {
    if (svcName === "app_proxy" || svcName === "tor_server" || svcName === "tor") continue;
    if (!isRecord(svc)) throw new DocumentError(`service ${svcName} is not a mapping`);
    services[svcName] = { ...svc };
  }
  if (isRecord(proxy) && isRecord(proxy.environment)) {
    const host = String(proxy.environment.APP_HOST ?? "");
    const portText = String(proxy.environment.APP_PORT ?? "");
    const portVar = /^\$\{?([A-Z0-9_]+)\}?$/.exec(portText);
    mainPort = Number(portVar ? exports.literal.get(portVar[1]!) : portText);
    const byName = /^[a-z0-9-]+_([a-z0-9_-]+)_1$/i.exec(host);
    if (byName && services[byName[1]!]) main = byName[1];
    const ipVar = /^\$\{?([A-Z0-9_]+)\}?$/.exec(host);
    if (!main && ipVar) {
      // APP_HOST is the IP a service gets on Umbrel's network (`ipv4_address: $APP_X_IP`).
      for (const [svcName, svc] of Object.entries(services)) {
        const nets = isRecord(svc.networks) ? svc.networks : {};
        for (const net of Object.values(nets)) {
          if (isRecord(net) && String(net.ipv4_address ?? "").replace(/[{}$]/g, "") === ipVar[1])
            main = svcName;
        }
      }
    }
    if (!main) refusals.push(`app_proxy's APP_HOST "${host}" names no service of the app`);
  } else {
    const port = Number(manifest.port);
    for (const [svcName, svc] of Object.entries(services)) {
      if (svc.network_mode === "host" && !main) {
        main = svcName;
        mainPort = port;
      }
    }
    if (!main) refusals.push("has no app_proxy naming its web service");
  }
  if (!Number.isInteger(mainPort) || mainPort! <= 0) refusals.push("app_proxy names no web port");
  const path = str(manifest.path);
  return {
    format: "umbrel",
    appId,
    name,
    version: str(manifest.version) ?? "",
    description: str(manifest.description) ?? str(manifest.tagline) ?? "",
    tagline: str(manifest.tagline),
    categories: [str(manifest.category) ?? ""].filter(Boolean),
    website: str(manifest.website) ?? str(manifest.repo),
    services,
    main: main ?? Object.keys(services)[0] ?? "",
    mainPort: mainPort ?? 0,
    path: path?.startsWith("/") ? path : "/",
    fields: [],
    vars: vars(exports),
    dataRoot: /^\$\{?APP_DATA_DIR\}?(?=\/|$)/,
    sharedRoot: /^\$\{?UMBREL_ROOT\}?\/data\/storage(?=\/|$)/,
    seeds: (rest) => seedAt(files, `${appId}/${rest}`),
    notes: [],
    refusals,
  };
}
