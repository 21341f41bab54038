/**
 * CasaOS's app store (https://github.com/IceWhaleTech/CasaOS-AppStore): `Apps/<Name>/docker-compose.yml`,
 * a plain compose file with an `x-casaos` block at the top (`main` service, `port_map` = the host port of
 * its web interface, `index` path, `scheme`, `architectures`, localized `title` / `tagline` /
 * `description`, of which `en_US` is taken) and one per service (labels of envs, ports and volumes).
 *
 * CasaOS's conventions: `/DATA/AppData/$AppID/…` is the app's data (volumes), other folders under `/DATA`
 * are its shared storage (Media, Downloads: a volume of the app's own), `$PUID` / `$PGID` / `$TZ` are filled
 * by CasaOS at install (here settings with defaults), `$AppID` is the app's name.
 */
import { iconIn, type StoreFiles, textOf } from "./files.ts";
import { readApps, type StoreApp, type StoreRead, type VarMapping } from "./model.ts";
import { escapeRegExp } from "./vars.ts";
import { DocumentError, isRecord, parseStoreYaml, str } from "./yaml.ts";

/** The English text of a localized CasaOS value (`{en_US: …, zh_CN: …}` or a plain string). */
export function english(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  if (!isRecord(value)) return undefined;
  return str(value.en_US) ?? str(value.en_GB) ?? str(Object.values(value).find((v) => typeof v === "string"));
}

function vars(appId: string): (name: string) => VarMapping | undefined {
  return (name) => {
    switch (name) {
      case "AppID":
        return { kind: "literal", value: appId };
      case "PUID":
      case "PGID":
        return {
          kind: "field",
          field: {
            name,
            description: `${name === "PUID" ? "User" : "Group"} id the app runs as`,
            default: "1000",
            type: "number",
          },
        };
      case "TZ":
        return {
          kind: "field",
          field: { name: "TZ", description: "Time zone (tz database name)", default: "Etc/UTC" },
        };
      default:
        // CasaOS shows every variable of the compose file as a setting of the install.
        return { kind: "field", field: { name, description: `${name} (a setting of the CasaOS app)` } };
    }
  };
}

/** Compose's memory notation ("256M", "1g", "512m") in MB, or undefined. */
export function memoryMb(value: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg])i?b?$/i.exec(String(value ?? "").trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  return Math.ceil(unit === "g" ? n * 1024 : unit === "m" ? n : n / 1024);
}

/** What the services reserve (or limit) in memory, summed: the manifest's own figure for the entry's minimum. */
function reservedMemory(services: Record<string, Record<string, unknown>>): number | undefined {
  let total = 0;
  for (const svc of Object.values(services)) {
    const resources = isRecord(svc.deploy) && isRecord(svc.deploy.resources) ? svc.deploy.resources : {};
    const reserved = isRecord(resources.reservations) ? memoryMb(resources.reservations.memory) : undefined;
    total += reserved ?? 0;
  }
  return total > 0 ? total : undefined;
}

/** The container port behind a published host port of a service. */
function targetOf(svc: Record<string, unknown>, hostPort: number): number | undefined {
  for (const p of Array.isArray(svc.ports) ? svc.ports : []) {
    if (isRecord(p)) {
      if (Number(str(p.published)) === hostPort && (str(p.protocol) ?? "tcp") === "tcp")
        return Number(str(p.target));
      continue;
    }
    const text = str(p);
    if (!text || text.endsWith("/udp")) continue;
    const parts = text.replace(/\/tcp$/, "").split(":");
    if (parts.length >= 2 && Number(parts[parts.length - 2]) === hostPort)
      return Number(parts[parts.length - 1]);
  }
  return undefined;
}

export function readCasaos(files: StoreFiles): StoreRead[] {
  return readApps(
    files,
    "Apps",
    "docker-compose.yml",
    (dirName) => casaosApp(files, dirName),
    (dirName) => dirName.toLowerCase(),
  );
}

/** The app of `Apps/<dirName>`. */
function casaosApp(files: StoreFiles, dirName: string): StoreApp {
  const dir = `Apps/${dirName}`;
  const doc = parseStoreYaml(textOf(files, `${dir}/docker-compose.yml`) ?? "", "docker-compose.yml");
  if (!isRecord(doc) || !isRecord(doc.services))
    throw new DocumentError("docker-compose.yml has no services");
  const x = isRecord(doc["x-casaos"]) ? doc["x-casaos"] : {};
  const appId = str(doc.name) ?? dirName.toLowerCase();
  const name = english(x.title) ?? dirName;
  const services: Record<string, Record<string, unknown>> = {};
  for (const [svcName, svc] of Object.entries(doc.services)) {
    if (!isRecord(svc)) throw new DocumentError(`service ${svcName} is not a mapping`);
    services[svcName] = { ...svc };
  }
  let main = str(x.main) ?? Object.keys(services)[0]!;
  const refusals: string[] = [];
  const notes: string[] = [];
  const portMap = Number(str(x.port_map));
  let mainPort: number | undefined;
  let appService: string | undefined;
  // An empty port_map: no web interface (databases, DNS updaters), imported as such.
  const web = Number.isInteger(portMap) && portMap > 0;
  if (!services[main])
    refusals.push(`x-casaos names the main service "${main}", which is not in the compose file`);
  else if (web) {
    const published = (svc: Record<string, unknown>) =>
      svc.network_mode === "host" ? portMap : targetOf(svc, portMap);
    mainPort = published(services[main]!);
    // CasaOS opens port_map, whichever service publishes it (a web front such as nginx beside `main`).
    const others = Object.keys(services).filter((n) => n !== main && targetOf(services[n]!, portMap));
    if (mainPort === undefined && others.length === 1) {
      notes.push(
        `its web interface is the service ${others[0]}, which publishes port_map ${portMap} (x-casaos names ${main} main)`,
      );
      appService = main;
      main = others[0]!;
      mainPort = published(services[main]!);
    }
  }
  const mainSvc = services[main];
  if (mainSvc && web && mainPort === undefined && refusals.length === 0)
    refusals.push(`the main service does not publish port_map ${portMap}`);
  const index = str(x.index);
  const version = str(x.version);
  return {
    format: "casaos",
    appId,
    name,
    version: version && version !== "0.0.1" ? version : "",
    description: english(x.description) ?? english(x.tagline) ?? "",
    tagline: english(x.tagline),
    categories: [str(x.category) ?? ""].filter(Boolean),
    website: str(x.website) ?? str(x.project_url) ?? str(x.repo),
    icon: iconIn(files, [`${dir}/icon.png`]),
    architectures: Array.isArray(x.architectures) ? x.architectures.map(String) : undefined,
    services,
    configs: isRecord(doc.configs) ? doc.configs : undefined,
    main,
    mainPort,
    appService,
    mainScheme: web && str(x.scheme) === "https" ? "https" : undefined,
    path: index?.startsWith("/") ? index : "/",
    // The reservation is for the app alone: the Docker daemon beside it needs its own share.
    memoryMb: (reservedMemory(services) ?? 0) > 0 ? reservedMemory(services)! + 256 : undefined,
    fields: [],
    vars: vars(appId),
    dataRoot: new RegExp(`^/DATA/AppData/(\\$\\{?AppID\\}?|${escapeRegExp(appId)})(?=/|$)`, "i"),
    sharedRoot: /^\/DATA(?=\/|$)/,
    notes,
    refusals,
  };
}
