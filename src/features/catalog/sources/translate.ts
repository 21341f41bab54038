/**
 * One store app → one catalog entry, or the reasons it cannot be one.
 *
 * Each format's reader (runtipi.ts, casaos.ts, umbrel.ts) turns an app directory into a `StoreApp`: its
 * compose services in compose's own shape, its main service and port, the settings the store asks the user
 * for, and how to read the store's own variables and host paths. This module does what is common:
 *
 * - the app's data directory (`${APP_DATA_DIR}/x`, `/DATA/AppData/$AppID/x`) becomes a named volume per path,
 *   the store's shared storage (`/DATA/Media`, `${UMBREL_ROOT}/data/storage/…`) a volume of the app's own;
 *   a host's storage folders (`/media/…`, `/mnt/…`, `/srv/…`) a volume of the app's own too (parts.ts);
 *   `/etc/localtime` and `/etc/timezone` are dropped (the container's clock is the host's), the Docker socket
 *   stays (the LXC's own daemon); any other host path refuses the app;
 * - files the store ships into the data directory (a seeded directory, a single mounted file) become the
 *   entry's `files`, written into those volumes at the first deploy (seeds.ts);
 * - store variables become Proximity's per-deploy values (`APP_HOSTNAME`, `APP_URL`, …), generated secrets,
 *   settings with the store's default, or a refusal naming the variable;
 * - a credential the store writes as fixed text (a literal password, in a connection URL or a command line
 *   too) becomes a secret generated per install, the same everywhere the stack uses it; one also written
 *   where it cannot be rewritten, or a shipped file's fixed secret, refuses the app (credentials.ts);
 * - every published port is published as itself (host port = container port: each app has its own
 *   container), the main port is primary; an app whose store names no web port becomes an entry without a
 *   web interface (`web: false`); store-only keys (`container_name`, networks, labels) are dropped;
 * - `devices` that are only the host's GPU (DRI render nodes, the Raspberry Pi's VideoCore) are dropped with
 *   a note, the app transcoding on the CPU; any other device refuses the app, named; an NVIDIA GPU request is
 *   dropped only when the store says the app runs without it, else refused (gpu.ts);
 * - the result goes through the same schema and compose security policy as a built-in entry
 *   (`catalogEntrySchema`), so an app that needs `privileged`, devices or host namespaces is refused with the
 *   policy's own words, never imported weakened.
 */
import { stringify as stringifyYaml } from "yaml";
import { DEPLOY_VARIABLES } from "../catalog.schemas.ts";
import { isUnpinnedImage } from "../compose-policy.ts";
import { catalogEntrySchema, formatIssue } from "../entry-rules.ts";
import { replacePlaceholders } from "../file-templates.ts";
import { ociService } from "../oci-service.ts";
import { generateDefaults, replaceFixedSecrets, templateFileSecrets } from "./credentials.ts";
import type { Seed } from "./files.ts";
import {
  gpuDevicesNote,
  gpuRequestNote,
  gpuRequests,
  hasCpuFallback,
  imageRepository,
  isVideoCorePath,
  splitDevices,
  tunerNote,
} from "./gpu.ts";
import {
  CLUSTER_ARCHITECTURE,
  type ImportedEntry,
  type StoreApp,
  type StoreField,
  type StoreFormat,
} from "./model.ts";
import {
  CLOCK_FILES,
  categoryOf,
  DATABASE_IMAGE,
  DOCKER_SOCKETS,
  DROPPED_KEYS,
  environmentMap,
  FILE_LIKE,
  isStorageFolder,
  mapStrings,
  mountOf,
  type PortSpec,
  plainText,
  publishedPorts,
  slugOf,
  volumeName,
} from "./parts.ts";
import {
  EntryFiles,
  type FileMount,
  fixedPassword,
  ownerOf,
  placeFileMount,
  templateProblem,
} from "./seeds.ts";
import { literal, reference, rewriteVars, type VarUse } from "./vars.ts";
import { isRecord } from "./yaml.ts";

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

const HOME: Record<StoreFormat, string> = {
  runtipi: "https://runtipi.io",
  casaos: "https://casaos.zimaspace.com",
  umbrel: "https://apps.umbrel.com",
};

const DEPLOY_SET = new Set<string>(DEPLOY_VARIABLES);

const NO_SEED: Seed = { kind: "none" };

/** What an imported entry says of an image its store names without a version. */
export function unpinnedNote(image: string): string {
  return `image not pinned (${image}): Proximity cannot offer updates`;
}

/**
 * The main port serves HTTPS itself (CasaOS `scheme: https`), with the app's own, usually self-signed,
 * certificate: the URL, health check and proxy use https without verifying it.
 */
function httpsMainPort(
  ports: { name: string; primary: boolean; scheme?: "https" }[],
  notes: Set<string>,
): void {
  const main = ports.find((p) => p.primary);
  if (!main) return;
  main.name = "https";
  main.scheme = "https";
  notes.add(
    "its web interface answers HTTPS only: opened and checked over https (its own certificate, not verified)",
  );
}

/** Why a mount of a single file the store does not ship cannot be imported. */
function unshippedFile(app: StoreApp, src: string, rest: string): string {
  const template = app.seeds?.(`${rest}.template`);
  if (template?.kind === "file") return templateProblem(template.path);
  return `mounts the single file ${src}, which the store does not ship (a volume cannot stand in for a file)`;
}

/**
 * The single files a service mounts, placed in its volumes (seeds.ts): each becomes a file the entry ships,
 * in the volume over its directory or one mounted there for it; or the app is refused with the reason.
 */
function placeFiles(
  svcName: string,
  original: Record<string, unknown>,
  fileMounts: FileMount[],
  mounted: { volume: string; target: string }[],
  kept: unknown[],
  out: { volumes: Set<string>; seeded: EntryFiles; notes: Set<string>; reasons: string[] },
): void {
  for (const mount of fileMounts) {
    const placed = placeFileMount(mount, mounted, original);
    if ("refusal" in placed) {
      out.reasons.push(`service ${svcName}: ${placed.refusal}`);
      continue;
    }
    if (placed.mountAt !== undefined) {
      const item = `${placed.volume}:${placed.mountAt}`;
      if (!kept.includes(item)) kept.push(item);
      out.volumes.add(placed.volume);
      mounted.push({ volume: placed.volume, target: placed.mountAt });
    }
    out.seeded.addFile(placed.volume, placed.path, mount.seed, ownerOf(original));
    out.notes.add(
      `service ${svcName}: ${mount.what ?? `the store's file ${mount.rest}`} is written into the volume ${placed.volume} (${placed.path}) at the first deploy`,
    );
  }
}

const encoder = new TextEncoder();

/**
 * A service's compose `configs` (a file written from the compose file's own inline `content`, such as a web
 * front's nginx.conf) become single files the entry ships, placed like a store's file (placeFiles); a config
 * that names a file elsewhere or uses variables (compose fills them in; a shipped file is written as it is)
 * refuses the app.
 */
function configFiles(
  app: StoreApp,
  svcName: string,
  items: unknown,
  fileMounts: FileMount[],
  reasons: string[],
): void {
  if (items === undefined) return;
  for (const item of Array.isArray(items) ? items : [items]) {
    const name = typeof item === "string" ? item : isRecord(item) ? item.source : undefined;
    const target = isRecord(item) && typeof item.target === "string" ? item.target : `/${String(name)}`;
    const config = typeof name === "string" ? app.configs?.[name] : undefined;
    const content = isRecord(config) && typeof config.content === "string" ? config.content : undefined;
    if (content === undefined) {
      reasons.push(`service ${svcName}: the compose config ${JSON.stringify(name)} has no inline content`);
    } else if (content.includes("$")) {
      reasons.push(`service ${svcName}: the compose config ${name} uses variables`);
    } else {
      const path = `configs/${name}`;
      fileMounts.push({
        src: `config ${name}`,
        rest: path,
        seed: { kind: "file", path, body: encoder.encode(content) },
        target,
        what: `the compose config ${name}`,
      });
    }
  }
}

/**
 * What the entry says about its web interface: the HTTP health check on the main port, or `web: false` for an
 * app without one (its containers and first TCP port are checked instead).
 */
function webParts(app: StoreApp): Record<string, unknown> {
  if (app.mainPort === undefined) return { web: false };
  const path = app.path?.startsWith("/") ? app.path.slice(0, 500) : "/";
  return {
    healthcheck: {
      port: app.mainPort,
      // The store does not say what its app answers: any answer below 500 is healthy (a login redirect too).
      first_boot: { path, expect: 0 },
      later: { path, expect: 0 },
    },
  };
}

/** What translating one app may know of the rest of its store. */
export interface StoreContext {
  /** The image repositories the store runs without a GPU (imageRepository): their GPU is optional. */
  cpuImages?: ReadonlySet<string> | undefined;
}

/**
 * A service's GPU (gpu.ts): GPU-only `devices` are dropped with a note, any other device refuses the app; an
 * NVIDIA GPU request is dropped with a note when the store says the app runs without it, else refuses it.
 */
function gpuParts(
  app: StoreApp,
  svcName: string,
  original: Record<string, unknown>,
  svc: Record<string, unknown>,
  store: StoreContext,
  out: { notes: Set<string>; reasons: string[] },
): void {
  if (original.devices !== undefined) {
    const { gpu, tuner, other } = splitDevices(original.devices, original.image);
    if (other.length > 0)
      out.reasons.push(
        `service ${svcName}: passes the host device${other.length > 1 ? "s" : ""} ${other.join(", ")} into its container (devices), which an app's container never gets`,
      );
    else {
      if (gpu.length > 0) out.notes.add(gpuDevicesNote(app.name, gpu));
      if (tuner.length > 0) out.notes.add(tunerNote(app.name, tuner));
    }
    delete svc.devices;
  }
  const requests = gpuRequests(original);
  if (requests.length === 0) return;
  const env = environmentMap(original.environment);
  const repo = imageRepository(original.image);
  const optional =
    (typeof env !== "string" && hasCpuFallback(env)) || (repo !== undefined && store.cpuImages?.has(repo));
  if (optional) {
    out.notes.add(gpuRequestNote(app.name));
    delete svc.runtime;
    delete svc.gpus;
  } else {
    out.reasons.push(
      `service ${svcName}: ${requests.join(", ")}, which Proximity does not pass into an app's container, and the store does not say it runs without one`,
    );
  }
}

/** The image repositories of a store's services that ask for no GPU at all (StoreContext.cpuImages). */
export function cpuImagesOf(apps: StoreApp[]): Set<string> {
  const out = new Set<string>();
  for (const app of apps) {
    for (const svc of Object.values(app.services)) {
      const repo = imageRepository(svc.image);
      if (repo && svc.devices === undefined && gpuRequests(svc).length === 0) out.add(repo);
    }
  }
  return out;
}

/**
 * Translate one store app. `source` is the source's name (the id's namespace and the entry's `source`).
 * Never throws for anything in the app: every problem becomes a reason.
 */
export function translate(app: StoreApp, source: string, store: StoreContext = {}): ImportedEntry {
  const slug = slugOf(app.appId);
  const id = `${source}/${slug}`;
  const name = app.name.slice(0, 80) || slug;
  const refused = (reasons: string[]): ImportedEntry => ({
    id,
    name,
    status: "refused",
    reasons: [...new Set(reasons)],
  });
  if (app.refusals.length > 0) return refused(app.refusals);
  if (
    app.architectures &&
    app.architectures.length > 0 &&
    !app.architectures.includes(CLUSTER_ARCHITECTURE)
  ) {
    return refused([`does not run on ${CLUSTER_ARCHITECTURE} (only ${app.architectures.join(", ")})`]);
  }
  if (!app.services[app.main]) return refused([`the main service "${app.main}" is not in the compose file`]);

  const reasons: string[] = [];
  const notes = new Set<string>(app.notes);
  const volumes = new Set<string>();
  const seeded = new EntryFiles(app.templates === true);

  // 1. Volumes, while the store's variables are still in the paths.
  const services: Record<string, Record<string, unknown>> = {};
  for (const [svcName, original] of Object.entries(app.services)) {
    const svc: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(original)) {
      // `configs` become the entry's files (configFiles).
      if (DROPPED_KEYS.has(key) || key.startsWith("x-") || key === "configs") continue;
      svc[key] = value;
    }
    if (svc.network_mode === "bridge" || svc.network_mode === "default") delete svc.network_mode;
    gpuParts(app, svcName, original, svc, store, { notes, reasons });
    if (Array.isArray(original.volumes) || original.configs !== undefined) {
      const kept: unknown[] = [];
      const mounted: { volume: string; target: string }[] = [];
      const fileMounts: FileMount[] = [];
      for (const item of Array.isArray(original.volumes) ? original.volumes : []) {
        const mount = mountOf(item);
        if (!mount) {
          reasons.push(`service ${svcName}: volume ${JSON.stringify(item)} is not understood`);
          continue;
        }
        if (mount.source === undefined || mount.type === "tmpfs" || mount.type === "volume") {
          kept.push(item);
          if (mount.type === "volume" && mount.source) volumes.add(mount.source);
          continue;
        }
        const src = mount.source === "/" ? "/" : mount.source.replace(/\/+$/, "");
        const ro = mount.readOnly ? ":ro" : "";
        const data = app.dataRoot.exec(src);
        const shared = data ? null : app.sharedRoot?.exec(src);
        if (data || shared) {
          const rest = src.slice((data ?? shared)![0].length).replace(/^\/+/, "");
          let seed = data && rest ? (app.seeds?.(rest) ?? NO_SEED) : NO_SEED;
          // A file the store renders from `x.template` at install: shipped as a template (seeds.ts).
          if (seed.kind === "none" && data && rest && app.templates) {
            const template = app.seeds?.(`${rest}.template`);
            if (template?.kind === "file") seed = template;
          }
          if (seed.kind === "file") {
            fileMounts.push({ src, rest, seed, target: mount.target });
            continue;
          }
          if (FILE_LIKE.test(rest)) {
            reasons.push(`service ${svcName}: ${unshippedFile(app, src, rest)}`);
            continue;
          }
          const volume = volumeName(rest, data ? "data" : "shared");
          if (shared) notes.add(`the store's shared folder ${src} becomes the app's own volume ${volume}`);
          if (seed.kind === "dir") {
            seeded.addDirectory(volume, seed, ownerOf(original));
            notes.add(
              `the files the store ships in ${rest} are written into the volume ${volume} at the first deploy`,
            );
          }
          volumes.add(volume);
          kept.push(`${volume}:${mount.target}${ro}`);
          mounted.push({ volume, target: mount.target });
        } else if (DOCKER_SOCKETS.has(src)) {
          kept.push(`/var/run/docker.sock:${mount.target}${ro}`);
          notes.add(`service ${svcName}: the Docker socket is the app container's own Docker daemon`);
        } else if (CLOCK_FILES.has(src)) {
          notes.add(`service ${svcName}: ${src} is not mounted (the container keeps the host's clock)`);
        } else if (isVideoCorePath(src)) {
          notes.add(
            `service ${svcName}: ${src}, the Raspberry Pi's video libraries, is not mounted (its GPU is not passed in)`,
          );
        } else if (isStorageFolder(src)) {
          if (FILE_LIKE.test(src)) {
            reasons.push(
              `service ${svcName}: mounts the host file ${src} (a volume cannot stand in for a file)`,
            );
            continue;
          }
          const volume = volumeName(src, "storage");
          notes.add(
            `service ${svcName}: the host folder ${src} becomes the app's own volume ${volume} (it starts empty; to share a host directory, mount it into the app's container)`,
          );
          volumes.add(volume);
          kept.push(`${volume}:${mount.target}${ro}`);
          mounted.push({ volume, target: mount.target });
        } else if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(src)) {
          volumes.add(src); // a named volume of the store's compose file
          kept.push(`${src}:${mount.target}${ro}`);
          mounted.push({ volume: src, target: mount.target });
        } else {
          reasons.push(
            `service ${svcName}: bind-mounts the host path ${src}, which has no place in an app's container`,
          );
        }
      }
      configFiles(app, svcName, original.configs, fileMounts, reasons);
      placeFiles(svcName, original, fileMounts, mounted, kept, { volumes, seeded, notes, reasons });
      svc.volumes = kept;
      if (kept.length === 0) delete svc.volumes;
    }
    const env = environmentMap(original.environment);
    if (typeof env === "string") reasons.push(`service ${svcName}: ${env}`);
    else if (Object.keys(env).length > 0) svc.environment = env;
    else delete svc.environment;
    services[svcName] = svc;
  }

  // 2. Variables.
  const fields = new Map<string, StoreField>();
  for (const f of app.fields) fields.set(f.name, f);
  const used = new Map<string, StoreField>();
  const renamed = (n: string) => (DEPLOY_SET.has(n) ? `STORE_${n}` : n);
  /** A setting used as `${X:-fallback}` takes the literal fallback as its default when it has none. */
  // Not for a secret: a secret has no default (the compose fallback still applies when it is left empty).
  const withFallback = (f: StoreField, use: VarUse): StoreField =>
    f.secret !== true &&
    f.default === undefined &&
    f.generate === undefined &&
    (use.op === ":-" || use.op === "-") &&
    use.rest &&
    !/[$\r\n\0]/.test(use.rest)
      ? { ...f, default: use.rest }
      : f;
  const rewrite = (use: VarUse): string => {
    const field = fields.get(use.name);
    if (field) {
      const n = renamed(field.name);
      used.set(n, withFallback({ ...(used.get(n) ?? field), name: n }, use));
      return reference(n, use.op, use.rest);
    }
    const mapping = app.vars(use.name);
    if (mapping) {
      switch (mapping.kind) {
        case "deploy":
          return reference(mapping.name);
        case "literal":
          return literal(mapping.value);
        case "refuse":
          reasons.push(mapping.reason);
          return "";
        case "field": {
          const n = renamed(mapping.field.name);
          used.set(n, withFallback({ ...(used.get(n) ?? mapping.field), name: n }, use));
          return reference(n, use.op, use.rest);
        }
      }
    }
    if ((use.op === ":-" || use.op === "-") && use.rest !== "") {
      const n = renamed(use.name);
      if (!used.has(n)) {
        const fallback = use.rest.includes("$") ? undefined : use.rest;
        used.set(n, {
          name: n,
          description: `${use.name} (the store's default${fallback ? `: ${fallback}` : ""})`,
          ...(fallback !== undefined && !/[\r\n\0]/.test(fallback) ? { default: fallback } : {}),
        });
      }
      return reference(n, use.op === "-" ? ":-" : use.op, use.rest);
    }
    if (use.name === "TZ") {
      used.set("TZ", { name: "TZ", description: "Time zone (tz database name)", default: "Etc/UTC" });
      return reference("TZ", use.op, use.rest);
    }
    reasons.push(`uses \${${use.name}}, which only ${app.format} provides`);
    return "";
  };
  for (const svc of Object.values(services)) {
    for (const [key, value] of Object.entries(svc)) {
      if (key === "volumes" || key === "ports") continue;
      svc[key] = mapStrings(value, (s) => rewriteVars(s, rewrite));
    }
    if (Array.isArray(svc.volumes))
      svc.volumes = svc.volumes.map((v) => mapStrings(v, (s) => rewriteVars(s, rewrite)));
  }

  // An optional setting without a default must never reach the container empty: a line that is nothing but
  // that setting is left out (unset, as the app expects), any other use makes the setting required.
  const optional = (f: StoreField) => !f.required && f.default === undefined && f.generate === undefined;
  for (const [svcName, svc] of Object.entries(services)) {
    if (!isRecord(svc.environment)) continue;
    for (const [k, v] of Object.entries(svc.environment)) {
      const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(String(v));
      const f = m ? used.get(m[1]!) : undefined;
      if (f && optional(f)) {
        delete svc.environment[k];
        notes.add(`service ${svcName}: ${k} is set only when given (optional, no default)`);
      }
    }
  }
  // Fixed credentials (a literal password under a secret-like key, in a connection URL) and settings whose
  // default is one become secrets generated per install (credentials.ts).
  for (const n of generateDefaults(services, used))
    notes.add(`${n} is generated at install (the store's default for it is a fixed, publicly known value)`);
  const fixed = replaceFixedSecrets(
    services,
    seeded.list(),
    (n) => used.has(n) || fields.has(n) || DEPLOY_SET.has(n),
  );
  reasons.push(...fixed.reasons);

  for (const note of fixed.notes) notes.add(note);
  for (const f of fixed.fields) used.set(f.name, f);
  // A template's placeholder: a field of the store's form, a per-deploy value or a fixed text; a variable
  // the store only fills in itself (or asks for nowhere) is not provided. Returns the name, or the text.
  const templateVar = (name: string): string | { text: string } | undefined => {
    const field = fields.get(name);
    const mapping = field ? undefined : app.vars(name);
    if (mapping?.kind === "deploy") return mapping.name;
    if (mapping?.kind === "literal") return { text: mapping.value };
    const f =
      field ?? (mapping?.kind === "field" && mapping.field.default !== undefined ? mapping.field : undefined);
    if (!f) return undefined;
    const n = renamed(f.name);
    const had = used.get(n);
    if (!had) used.set(n, { ...f, name: n });
    if (optional(used.get(n)!)) {
      reasons.push(
        `its template uses {{${name}}}, an optional setting without a default (an empty value is never written)`,
      );
      return { text: "" };
    }
    return n;
  };
  const stillUsed = new Map<string, boolean>(); // name → used without a fallback
  const scan = (v: unknown) =>
    mapStrings(v, (s) =>
      rewriteVars(s, (u) => {
        const plain = !((u.op === ":-" || u.op === "-") && u.rest !== "");
        stillUsed.set(u.name, (stillUsed.get(u.name) ?? false) || plain);
        return "";
      }),
    );
  scan(services);
  // Template files: each `{{NAME}}` of the store becomes the name of the value Proximity gives it.
  for (const file of seeded.list().filter((f) => f.template)) {
    const key = fixedPassword(file.content);
    if (key) {
      reasons.push(
        `its template ${file.path} ships a fixed password (${key}): a public default credential is never imported`,
      );
      continue;
    }
    notes.add(`its template ${file.path} is filled in with the install's values at the first deploy`);
    file.content = replacePlaceholders(file.content, (name, whole) => {
      const mapped = templateVar(name);
      if (typeof mapped === "object") return mapped.text;
      if (mapped !== undefined) {
        stillUsed.set(mapped, true);
        return `{{${mapped}}}`;
      }
      reasons.push(`its template ${file.path} uses ${whole}, which the app does not provide`);
      return whole;
    });
  }
  // A shipped file's own fixed secret: the file becomes a template of a generated setting (credentials.ts).
  for (const file of seeded.list()) {
    if (file.template || file.encoding === "base64") continue;
    const made = templateFileSecrets(
      file.content,
      file.path,
      (n) => used.has(n) || fields.has(n) || DEPLOY_SET.has(n),
    );
    if (!made) continue;
    if ("refusal" in made) {
      reasons.push(made.refusal);
      continue;
    }
    file.content = made.content;
    file.template = true;
    for (const f of made.fields) {
      used.set(f.name, f);
      stillUsed.set(f.name, true);
    }
    notes.add(made.note);
  }
  const env: StoreField[] = [];
  for (const [n, f] of used) {
    if (!stillUsed.has(n)) continue;
    if (optional(f) && stillUsed.get(n)) {
      env.push({ ...f, required: true });
      notes.add(`${n} is required here (optional in the store, but an empty value never reaches the app)`);
    } else env.push(f);
  }

  // 3. Ports: the main port first (primary), then every other published port, each as itself.
  const ports: {
    name: string;
    container: number;
    protocol: "tcp" | "udp";
    primary: boolean;
    scheme?: "https";
  }[] = [];
  const seen = new Set<string>();
  const addPort = (p: PortSpec, primary: boolean) => {
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    ports.push({
      name: primary ? "http" : `${p.protocol}-${p.port}`,
      container: p.port,
      protocol: p.protocol,
      primary,
    });
    return true;
  };
  const web = app.mainPort !== undefined;
  if (web) addPort({ port: app.mainPort!, protocol: "tcp" }, true);
  else notes.add("has no web interface: no Open button; checked by its containers and its first TCP port");
  if (web && app.mainScheme === "https") httpsMainPort(ports, notes);
  const hostNet = (svc: Record<string, unknown>) => svc.network_mode === "host";
  for (const [svcName, svc] of Object.entries(services)) {
    const published = publishedPorts(app.services[svcName] ?? {}, notes, svcName);
    const mine: string[] = [];
    if (web && svcName === app.main && !hostNet(svc)) mine.push(`${app.mainPort}:${app.mainPort}`);
    for (const p of published) {
      if (web && p.port === app.mainPort && p.protocol === "tcp") continue;
      if (!addPort(p, false)) {
        notes.add(`service ${svcName}: port ${p.port}/${p.protocol} is published once only`);
        continue;
      }
      mine.push(`${p.port}:${p.port}${p.protocol === "udp" ? "/udp" : ""}`);
    }
    if (hostNet(svc) || mine.length === 0) delete svc.ports;
    else svc.ports = mine;
    if (svc.restart === undefined) svc.restart = "unless-stopped";
    if (Array.isArray(svc.depends_on))
      svc.depends_on = svc.depends_on.filter((d) => typeof d === "string" && d in services);
    else if (isRecord(svc.depends_on))
      svc.depends_on = Object.fromEntries(Object.entries(svc.depends_on).filter(([d]) => d in services));
  }

  reasons.push(...seeded.reasons);
  if (reasons.length > 0) return refused(reasons);
  const files = seeded.list();

  const compose: Record<string, unknown> = { services };
  if (volumes.size > 0) compose.volumes = Object.fromEntries([...volumes].sort().map((v) => [v, null]));
  const composeText = stringifyYaml(compose, { lineWidth: 0, nullStr: "" });

  // 4. The entry itself, validated like a built-in.
  const images = Object.values(services).map((s) => (typeof s.image === "string" ? s.image : ""));
  const appImage = services[app.appService ?? app.main]?.image;
  const mainImage = typeof appImage === "string" ? appImage : "";
  const mainTag =
    mainImage
      .split("@")[0]!
      .slice(mainImage.split("@")[0]!.lastIndexOf("/") + 1)
      .split(":")[1] ?? "";
  const wanted = app.version.replace(/^v/, "");
  const tagged = images.some((i) =>
    (i.split("@")[0]!.split("/").pop() ?? "").split(":")[1]?.includes(wanted),
  );
  // An image without a version (latest, no tag) installs, but Proximity cannot track its updates (docs/catalog.md).
  const unpinned = [...new Set(images.filter(isUnpinnedImage))];
  for (const image of unpinned) notes.add(unpinnedNote(image));
  const pinnedTag = isUnpinnedImage(mainImage) ? "" : mainTag;
  const version = (tagged && wanted ? app.version : pinnedTag || app.version || "latest").slice(0, 60);
  const sidecars = images.filter((i) => DATABASE_IMAGE.test(i)).length;
  const serviceCount = Object.keys(services).length;
  const memory = Math.max(
    app.memoryMb ?? 0,
    512 + 256 * Math.max(0, serviceCount - 1 - sidecars) + 512 * sidecars,
  );
  const website =
    [app.website].find((w) => w && /^https?:\/\/[^\s]+$/.test(w) && URL.canParse(w)) ?? HOME[app.format];
  const description = plainText(app.description || app.tagline || name) || name;
  const raw = {
    id: slug,
    name,
    version,
    description,
    category: categoryOf(app.categories),
    tags: [...new Set(app.categories.map((c) => slugOf(c)))].slice(0, 20),
    icon: `${slug}.${app.icon?.ext === "png" ? "png" : "svg"}`,
    website,
    os_template: "debian-13",
    min: { cores: serviceCount > 2 ? 2 : 1, memory_mb: Math.min(memory, 262144), disk_gb: 4 + 2 * sidecars },
    ports,
    env: env.map((f) => ({
      name: f.name,
      description: (f.description || f.name).slice(0, 500),
      ...(f.default !== undefined ? { default: f.default } : {}),
      required: f.required ?? false,
      secret: f.secret ?? false,
      ...(f.generate ? { generate: f.generate } : {}),
      type: f.type ?? "text",
      ...(f.pattern
        ? {
            pattern: f.pattern,
            pattern_message: (f.pattern_message ?? `must match ${f.pattern}`).slice(0, 300),
          }
        : {}),
    })),
    compose: composeText,
    ...webParts(app),
    pin: { verified: today(), source: website },
    update_policy: "any",
    upgrade: `Imported from the ${app.format} store "${source}"; its maintainers choose the versions. Read the app's release notes and take a backup before updating.`,
    files,
    unpinned_images: unpinned,
    // The files go into compose volumes: an application container (oci) has none to seed.
    runtimes: files.length > 0 || Array.isArray(ociService(composeText)) ? ["docker"] : ["docker", "oci"],
  };
  const parsed = catalogEntrySchema.safeParse(raw);
  if (!parsed.success) return refused(parsed.error.issues.map(formatIssue));
  return {
    id,
    name,
    status: "imported",
    reasons: [...notes],
    entry: { ...parsed.data, id },
    icon: app.icon,
  };
}
