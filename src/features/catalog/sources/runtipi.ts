/**
 * Runtipi's app store (https://github.com/runtipi/runtipi-appstore): `apps/<id>/config.json` (name, version,
 * `form_fields` the user fills in, `supported_architectures`, `available`) and the app's compose file in one
 * of three shapes, the first found wins:
 *
 * 1. `docker-compose.json`, the dynamic compose (schemaVersion 2): a list of services in Runtipi's own
 *    camelCase keys, `isMain` + `internalPort` marking the web interface, `addPorts` for other ports;
 * 2. `docker-compose.yml` with `x-runtipi` on its services (`is_main`, `internal_port`): the same in YAML;
 * 3. a plain `docker-compose.yml` (the older static format): the main service is the one publishing
 *    `${APP_PORT}`, the traefik labels and `tipi_main_network` are Runtipi's and dropped.
 *
 * Runtipi's variables: `${APP_DATA_DIR}` (the app's data: volumes), `${APP_DOMAIN}` / `${LOCAL_DOMAIN}`
 * (→ APP_HOSTNAME), `${APP_PROTOCOL}` (http), `${APP_PORT}`, `${TZ}` (a setting, default Etc/UTC),
 * `${ROOT_FOLDER_HOST}/media` (shared media: the app's own volume).
 */
import type { Generator } from "../catalog.schemas.ts";
import { iconIn, type StoreFiles, seedAt, textOf } from "./files.ts";
import { readApps, type StoreField, type StoreRead, type VarMapping } from "./model.ts";
import { escapeRegExp } from "./vars.ts";
import { DocumentError, isRecord, parseStoreJson, parseStoreYaml, str } from "./yaml.ts";

const FIELD_TYPES: Record<string, StoreField["type"]> = {
  boolean: "boolean",
  number: "number",
  url: "url",
  email: "email",
};

function fieldOf(raw: Record<string, unknown>, notes: string[]): StoreField | undefined {
  const name = str(raw.env_variable);
  if (!name || !/^[A-Z_][A-Z0-9_]*$/.test(name)) return undefined;
  const type = str(raw.type) ?? "text";
  const label = str(raw.label) ?? name;
  const hint = str(raw.hint);
  const field: StoreField = {
    name,
    description: hint ? `${label}: ${hint}` : label,
    type: FIELD_TYPES[type] ?? "text",
    required: raw.required === true,
  };
  const def = raw.default;
  if (def !== undefined && def !== null && def !== "") field.default = String(def);
  if (type === "random") {
    const encoding = str(raw.encoding);
    const generate: Generator =
      encoding === "hex" ? "hex32" : encoding === "base64" ? "base64_32" : "password";
    return { name, description: field.description, secret: true, generate };
  }
  if (type === "password") {
    field.secret = true;
    if (field.default !== undefined) {
      // A secret with a published default is a known password: generate one instead.
      delete field.default;
      field.generate = "password";
      field.required = false;
      notes.push(`${name} is generated (the store's default password is public)`);
    }
  }
  const options = Array.isArray(raw.options)
    ? raw.options.map((o) => (isRecord(o) ? str(o.value) : undefined))
    : [];
  if (options.length > 0 && options.every((o): o is string => o !== undefined)) {
    field.pattern = options.map(escapeRegExp).join("|");
    field.pattern_message = `must be one of ${options.join(", ")}`;
  } else if (str(raw.regex)) {
    field.pattern = str(raw.regex);
    field.pattern_message = str(raw.pattern_error) ?? `must match ${str(raw.regex)}`;
  }
  return field;
}

const SNAKE: Record<string, string> = {
  dependsOn: "depends_on",
  healthCheck: "healthcheck",
  securityOpt: "security_opt",
  capAdd: "cap_add",
  capDrop: "cap_drop",
  networkMode: "network_mode",
  stdinOpen: "stdin_open",
  shmSize: "shm_size",
  workingDir: "working_dir",
  stopGracePeriod: "stop_grace_period",
  stopSignal: "stop_signal",
  extraHosts: "extra_hosts",
  readOnly: "read_only",
};
const HEALTH_KEYS: Record<string, string> = {
  startPeriod: "start_period",
  startInterval: "start_interval",
};
const DYNAMIC_ONLY = new Set([
  "name",
  "isMain",
  "internalPort",
  "addPorts",
  "extraLabels",
  "addToMainNetwork",
]);

/** One service of the dynamic compose (schemaVersion 2) in compose's own keys. */
function dynamicService(raw: Record<string, unknown>): Record<string, unknown> {
  const svc: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (DYNAMIC_ONLY.has(key)) continue;
    if (key === "environment" && Array.isArray(value)) {
      svc.environment = Object.fromEntries(
        value
          .filter(isRecord)
          .map((e) => [String(e.key ?? ""), e.value === undefined ? "" : String(e.value)]),
      );
    } else if (key === "volumes" && Array.isArray(value)) {
      svc.volumes = value
        .filter(isRecord)
        .map(
          (v) => `${str(v.hostPath) ?? ""}:${str(v.containerPath) ?? ""}${v.readOnly === true ? ":ro" : ""}`,
        );
    } else if (key === "healthCheck" && isRecord(value)) {
      svc.healthcheck = Object.fromEntries(Object.entries(value).map(([k, v]) => [HEALTH_KEYS[k] ?? k, v]));
    } else {
      svc[SNAKE[key] ?? key] = value;
    }
  }
  const ports: string[] = [];
  for (const p of Array.isArray(raw.addPorts) ? raw.addPorts.filter(isRecord) : []) {
    const port = Number(p.containerPort);
    if (!Number.isInteger(port)) continue;
    if (p.udp === true) ports.push(`${port}:${port}/udp`);
    if (p.udp !== true || p.tcp === true) ports.push(`${port}:${port}`);
  }
  if (ports.length > 0) svc.ports = ports;
  return svc;
}

interface Compose {
  services: Record<string, Record<string, unknown>>;
  main: string;
  /** None: the main service has no web interface (no `internalPort`). */
  mainPort?: number | undefined;
  /** A setting the web port is read from (`${NAME-8080}`), fixed at its default (fixPort). */
  fixedPort?: { name: string; value: string } | undefined;
}

/**
 * A service's `internalPort`: a number, Runtipi's `${APP_PORT}` (the manifest's `port`, which Runtipi puts
 * there; the app then reads the same port from Proximity's `APP_PORT`), or a setting with a default
 * (`${NAME-8080}`: the port is the default, and the setting is fixed at it, see fixPort). Any other variable
 * is not guessed.
 */
function internalPortOf(
  value: unknown,
  appPort: number | undefined,
): { port: number | undefined; fixed?: { name: string; value: string } } {
  if (typeof value === "string" && /^\$\{?APP_PORT\}?$/.test(value.trim())) return { port: appPort };
  const setting =
    typeof value === "string" ? /^\$\{([A-Z_][A-Z0-9_]*):?-(\d{1,5})\}$/.exec(value.trim()) : null;
  const port = Number(setting ? setting[2] : value);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) return { port: undefined };
  return setting ? { port, fixed: { name: setting[1]!, value: setting[2]! } } : { port };
}

function readCompose(
  files: StoreFiles,
  dir: string,
  notes: string[],
  appPort: number | undefined,
): Compose | string {
  const json = textOf(files, `${dir}/docker-compose.json`);
  if (json !== undefined) {
    const doc = parseStoreJson(json, "docker-compose.json");
    if (!isRecord(doc) || !Array.isArray(doc.services)) return "docker-compose.json has no services";
    const services: Record<string, Record<string, unknown>> = {};
    let main: string | undefined;
    let mainPort: number | undefined;
    let fixedPort: Compose["fixedPort"];
    for (const raw of doc.services.filter(isRecord)) {
      const name = str(raw.name);
      if (!name) return "docker-compose.json has a service without a name";
      services[name] = dynamicService(raw);
      // Two services marked main (electrs and its UI): the one with the web port is the app's.
      if (raw.isMain === true && !Number.isInteger(mainPort)) {
        main = name;
        ({ port: mainPort, fixed: fixedPort } = internalPortOf(raw.internalPort, appPort));
      }
    }
    return withFixedPort(
      mainOf(services, main, mainPort, "docker-compose.json marks no service isMain"),
      fixedPort,
    );
  }
  const yml = textOf(files, `${dir}/docker-compose.yml`) ?? textOf(files, `${dir}/docker-compose.yaml`);
  if (yml === undefined) return "has no docker-compose.json or docker-compose.yml";
  const doc = parseStoreYaml(yml, "docker-compose.yml");
  if (!isRecord(doc) || !isRecord(doc.services)) return "docker-compose.yml has no services";
  const services: Record<string, Record<string, unknown>> = {};
  let main: string | undefined;
  let mainPort: number | undefined;
  let fixedPort: Compose["fixedPort"];
  for (const [name, raw] of Object.entries(doc.services)) {
    if (!isRecord(raw)) return `service ${name} is not a mapping`;
    const x = raw["x-runtipi"];
    if (isRecord(x) && x.is_main === true && !Number.isInteger(mainPort)) {
      main = name;
      ({ port: mainPort, fixed: fixedPort } = internalPortOf(x.internal_port, appPort));
    }
    services[name] = { ...raw };
  }
  if (!main) {
    // The static format: the main service publishes Runtipi's ${APP_PORT}.
    for (const [name, svc] of Object.entries(services)) {
      for (const p of Array.isArray(svc.ports) ? svc.ports : []) {
        const m = typeof p === "string" ? /^\$\{?APP_PORT\}?:(\d+)/.exec(p) : null;
        if (m && !main) {
          main = name;
          mainPort = Number(m[1]);
        }
      }
    }
    if (main) notes.push("read from the static docker-compose.yml (the main service publishes ${APP_PORT})");
  }
  return withFixedPort(mainOf(services, main, mainPort, "names no main service"), fixedPort);
}

function withFixedPort(read: Compose | string, fixedPort: Compose["fixedPort"]): Compose | string {
  return typeof read === "string" || !fixedPort ? read : { ...read, fixedPort };
}

/**
 * The web port read from a setting (`internalPort: ${SFTPGO_BINDING_PORT-8080}`) is fixed at the setting's
 * default: the setting is not offered, and every use of it reads that value, so the port the app listens on is
 * the one Proximity publishes, checks and opens.
 */
function fixPort(
  compose: Compose,
  fields: StoreField[],
  appVars: (name: string) => VarMapping | undefined,
  notes: string[],
): { fields: StoreField[]; vars: (name: string) => VarMapping | undefined } {
  const fixed = compose.fixedPort;
  if (!fixed) return { fields, vars: appVars };
  notes.push(
    `its web port is the setting ${fixed.name}, fixed here at its default ${fixed.value} (Proximity publishes, checks and opens that port)`,
  );
  return {
    fields: fields.filter((f) => f.name !== fixed.name),
    vars: (name) => (name === fixed.name ? { kind: "literal", value: fixed.value } : appVars(name)),
  };
}

/**
 * A main service without an `internalPort` is a web interface only when it shares the host's network and the
 * manifest names its `port` (Gladys, Homebridge); otherwise it must be marked `no_gui` to be imported as an app
 * without one, so a web app whose port the store forgot is refused rather than shown without its Open button.
 */
function withWebPort(compose: Compose, config: Record<string, unknown>): Compose | string {
  if (compose.mainPort !== undefined || config.no_gui === true) return compose;
  const port = Number(config.port);
  if (compose.services[compose.main]?.network_mode === "host" && Number.isInteger(port) && port > 0)
    return { ...compose, mainPort: port };
  return `the main service ${compose.main} has no internalPort and the store does not mark it no_gui`;
}

/**
 * The main service and its web port. A main service without an `internalPort` (Runtipi's daemons: DNS
 * updaters, VPN clients) has no web interface; a store app of one service that marks none main is that service.
 */
function mainOf(
  services: Record<string, Record<string, unknown>>,
  main: string | undefined,
  port: number | undefined,
  noMain: string,
): Compose | string {
  const only = Object.keys(services).length === 1 ? Object.keys(services)[0] : undefined;
  const name = main ?? only;
  if (!name) return noMain;
  return { services, main: name, mainPort: main && Number.isInteger(port) && port! > 0 ? port : undefined };
}

function vars(appId: string): (name: string) => VarMapping | undefined {
  return (name) => {
    switch (name) {
      case "APP_DOMAIN":
      case "LOCAL_DOMAIN":
      case "APP_LOCAL_DOMAIN":
        return { kind: "deploy", name: "APP_HOSTNAME" };
      case "APP_HOST":
      case "INTERNAL_IP":
        return { kind: "deploy", name: "APP_ADDRESS" };
      case "APP_PORT":
        return { kind: "deploy", name: "APP_PORT" };
      case "APP_PROTOCOL":
        return { kind: "literal", value: "http" };
      case "APP_EXPOSED":
        return { kind: "literal", value: "false" };
      case "APP_ID":
        return { kind: "literal", value: appId };
      case "TIPI_UID":
      case "TIPI_GID":
        return { kind: "literal", value: "1000" };
      case "TZ":
        return {
          kind: "field",
          field: { name: "TZ", description: "Time zone (tz database name)", default: "Etc/UTC" },
        };
      case "APP_DATA_DIR":
        return { kind: "refuse", reason: "uses ${APP_DATA_DIR} outside a volume" };
      case "ROOT_FOLDER_HOST":
        return { kind: "refuse", reason: "uses ${ROOT_FOLDER_HOST} (Runtipi's own install folder)" };
      default:
        // Runtipi leaves a variable that no form field declares empty: here the user is asked for it.
        return /^[A-Z][A-Z0-9_]*$/.test(name)
          ? {
              kind: "field",
              field: {
                name,
                description: `${name} (used by the app; the store does not ask for it)`,
                required: true,
              },
            }
          : undefined;
    }
  };
}

/** Every app of a Runtipi store, read into the common shape (or the reason it cannot be read). */
export function readRuntipi(files: StoreFiles): StoreRead[] {
  return readApps(files, "apps", "config.json", (appId) => runtipiApp(files, appId));
}

/** The app of `apps/<appId>`. */
function runtipiApp(files: StoreFiles, appId: string): StoreRead {
  const dir = `apps/${appId}`;
  const notes: string[] = [];
  const config = parseStoreJson(textOf(files, `${dir}/config.json`) ?? "", "config.json");
  if (!isRecord(config)) throw new DocumentError("config.json is not an object");
  const name = str(config.name) ?? appId;
  const refusals: string[] = [];
  if (config.available === false) refusals.push("the store marks it unavailable");
  if (config.deprecated === true) refusals.push("the store marks it deprecated");
  const manifestPort = Number(config.port);
  const read = readCompose(
    files,
    dir,
    notes,
    Number.isInteger(manifestPort) && manifestPort > 0 ? manifestPort : undefined,
  );
  const compose = typeof read === "string" ? read : withWebPort(read, config);
  if (typeof compose === "string") {
    return { appId, name, refusal: compose };
  }
  const { fields, vars: appVars } = fixPort(
    compose,
    (Array.isArray(config.form_fields) ? config.form_fields : [])
      .filter(isRecord)
      .map((f) => fieldOf(f, notes))
      .filter((f): f is StoreField => f !== undefined),
    vars(appId),
    notes,
  );
  const arch = Array.isArray(config.supported_architectures)
    ? config.supported_architectures.map((a) => String(a))
    : undefined;
  return {
    format: "runtipi",
    appId,
    name,
    version: str(config.version) ?? "",
    description: str(config.description) ?? str(config.short_desc) ?? "",
    tagline: str(config.short_desc),
    categories: Array.isArray(config.categories) ? config.categories.map(String) : [],
    website: str(config.website) ?? str(config.source),
    icon: iconIn(files, [
      `${dir}/metadata/logo.png`,
      `${dir}/metadata/logo.jpg`,
      `${dir}/metadata/logo.jpeg`,
    ]),
    architectures: arch && arch.length > 0 ? arch : undefined,
    services: compose.services,
    main: compose.main,
    mainPort: compose.mainPort,
    path: str(config.url_suffix),
    fields,
    vars: appVars,
    dataRoot: /^\$\{?APP_DATA_DIR\}?(?=\/|$)/,
    sharedRoot: /^\$\{?ROOT_FOLDER_HOST\}?\/media(?=\/|$)/,
    seeds: (rest) => seedAt(files, `${dir}/${rest}`),
    templates: true,
    notes,
    refusals,
  };
}
