/**
 * The compose security policy: what an entry's compose document may ask of the LXC container it runs in, and
 * the checks of the document against the entry's declared ports and env. Any entry — built in or an
 * operator's file — passes these before it can be installed (docs/security.md, docs/catalog.md):
 *
 * - the compose document parses as YAML and has a non-empty `services` map; every service has an `image`
 *   with an explicit tag (or digest) that is not `latest`, and no `build`;
 * - every `${VAR}` the compose document uses is declared in `env` (or provided by Proximity, DEPLOY_VARIABLES),
 *   and every declared env is used; an optional variable that may be unset is only used as
 *   `${VAR:-fallback}` with a non-empty fallback;
 * - ports are published with the host port equal to the container port, and the published set equals the
 *   declared `ports` (unless a service uses `network_mode: host`, where nothing is published);
 * - volumes are named volumes or bind mounts under `./` (no `..`); the only host path allowed is
 *   `/var/run/docker.sock` (the LXC's own Docker, for Docker managers such as Portainer);
 * - no `privileged: true`, `pid: host`, `ipc: host`, `userns_mode: host` or `cgroup: host`;
 * - hardening: `privileged` in any spelling ("true", yes, 1 …) counts as true; no `devices`, `security_opt`
 *   (except `no-new-privileges`, which only takes privileges away), `device_cgroup_rules` or `cgroup_parent`, and `cap_add` only NET_ADMIN, NET_RAW or SYS_PTRACE; top-level
 *   volumes use the default driver without `driver_opts` (a local volume with `o: bind` is a bind mount in
 *   disguise); no variables in `privileged`, `pid`, `ipc`, `userns_mode`, `cgroup`, `network_mode` or volume
 *   sources and types; and the rules above still hold after every variable is replaced by each of a set of
 *   worst-case values ("host", "true", "/", "../..").
 */
import {
  ALLOWED_HOST_PATHS,
  type CatalogEntry,
  type CatalogEnv,
  type DeployVariable,
  type EntryIssue,
  isDeployVariable,
  providedVariables,
} from "./catalog.schemas.ts";
import { placeholdersIn } from "./file-templates.ts";
import {
  InterpolationError,
  mapStrings,
  substitute,
  type VariableUse,
  variableUses,
} from "./interpolation.ts";
import { strictYaml, type YamlParser } from "./yaml-parsers.ts";

/** A parsed compose document, as far as the catalog cares. */
export interface ComposeDocument {
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown> | null;
  networks?: Record<string, unknown> | null;
  [key: string]: unknown;
}

const ALLOWED_TOP_LEVEL = new Set(["services", "volumes", "networks", "name"]);
const FORBIDDEN_HOST_MODES = ["pid", "ipc", "userns_mode", "cgroup"] as const;
/** Service keys that widen what a container may do to the LXC it runs in. */
const FORBIDDEN_SERVICE_KEYS = ["devices", "security_opt", "device_cgroup_rules", "cgroup_parent"];
/** The one `security_opt` accepted, literally: it can only take privileges away. */
const NO_NEW_PRIVILEGES = /^no-new-privileges(?:[:=]true)?$/;
/**
 * The only capabilities an entry may add, literally (no variables): network administration for VPNs and
 * packet tools, and ptrace for monitoring agents. Inside an unprivileged LXC they act in the container's
 * own user namespace; ALL, SYS_ADMIN, SYS_MODULE and the rest stay refused.
 */
const ALLOWED_CAPABILITIES = new Set(["NET_ADMIN", "NET_RAW", "SYS_PTRACE"]);
/** Keys whose value decides isolation: no variables, so a user's value can never change them. */
const FIXED_SERVICE_KEYS = ["privileged", ...FORBIDDEN_HOST_MODES, "network_mode"] as const;
/** What a user could put in any variable, tried against the rules after interpolation. */
const WORST_CASE_VALUES = ["host", "true", "/", "../.."];

/** Compose reads "true", "yes", "on", "1" (any case) as true; so do we, for anything but a plain false. */
function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  return !/^(false|no|off|0|)$/i.test(String(value).trim());
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Parsed compose documents by text: an entry's rules read its document three or four times (policy, images,
 * tags, OCI), and the app pages again. The documents are frozen: shared, never changed.
 */
const parsedCompose = new Map<string, ComposeDocument>();
const PARSED_COMPOSE_MAX = 512;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Parse a compose document; throws an Error with a readable message when it is not YAML or has no services.
 * `parse` is the strict parser unless the text was shipped with the code (yaml-parsers.ts).
 */
export function parseCompose(text: string, parse: YamlParser = strictYaml): ComposeDocument {
  const known = parsedCompose.get(text);
  if (known) return known;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`compose is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isRecord(doc)) throw new Error("compose must be a YAML mapping");
  if (!isRecord(doc.services) || Object.keys(doc.services).length === 0) {
    throw new Error("compose must have a non-empty `services` map");
  }
  for (const [name, svc] of Object.entries(doc.services)) {
    if (!isRecord(svc)) throw new Error(`compose service ${name} must be a mapping`);
  }
  if (parsedCompose.size >= PARSED_COMPOSE_MAX) parsedCompose.delete(parsedCompose.keys().next().value!);
  parsedCompose.set(text, deepFreeze(doc as ComposeDocument));
  return doc as ComposeDocument;
}

/**
 * Whether an image reference carries an explicit, pinned tag: `name:tag` (a tag that is no MOVING_TAG) or
 * `name@sha256:…`.
 * The tag is what follows the last `:` after the last `/` (a `:` before it is a registry port).
 */
export function imageTagProblem(image: string): string | undefined {
  if (image.includes("$")) return `image "${image}" must not use variables`;
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(image)) return `image "${image}" is not a valid image reference`;
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon === -1) return `image "${image}" has no explicit tag`;
  const tag = lastSegment.slice(colon + 1);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `image "${image}" has an invalid tag`;
  if (MOVING_TAG.test(tag)) return `image "${image}" must pin a version, not "${tag}"`;
  return undefined;
}

/** Architectures as tags spell them (`amd64`, `arm64v8`, `x86_64` …). */
const ARCH = "amd64|arm64|arm64v8|arm32v7|arm32v6|armv7|armv6|armhf|aarch64|x86_64|x86-64|i386|386";
/**
 * Words that name a channel or a branch rather than a release: the image behind `:nightly` or `:main` is
 * rebuilt whenever that branch moves.
 */
const CHANNEL =
  "latest|stable|current|lts|main|master|trunk|dev|devel|develop|development|nightly|edge|alpha|beta|preview|unstable|testing|staging|release|rolling|next|canary|snapshot";
/**
 * Tags that name no version: `latest`, an architecture alone (`ugeek/webdav:amd64`), a branch or channel
 * (`nightly`, `edge`), or such words joined (`master-amd64`, `main-arm64`, `latest-arm64v8`). The image behind
 * them moves with every release, so such a tag pins nothing and its text is no version to show or compare.
 * A tag with anything else in it is taken as pinned: a version (`2.1-amd64`, `v1.2.3`, `0.4.19-nightly`) or a
 * build (`master-b69fc2e`, `nightly-2.0.0.548`) names one image.
 */
const MOVING_TAG = new RegExp(`^(?:${CHANNEL}|${ARCH})(?:[-_.](?:${CHANNEL}|${ARCH}))*$`, "i");

/**
 * An image named without a version: no tag, or a tag that moves (MOVING_TAG: `latest`, an architecture, a
 * branch) and no digest. What a store entry may run, unpinned.
 */
export function isUnpinnedImage(image: string): boolean {
  if (!/^[a-z0-9][a-z0-9._\-/:]*$/i.test(image)) return false;
  const last = image.slice(image.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return colon === -1 || MOVING_TAG.test(last.slice(colon + 1));
}

interface PublishedPort {
  port: number;
  protocol: "tcp" | "udp";
}

/** Parse one `ports:` item; host and container port must be the same single port. */
function parsePublished(item: unknown): PublishedPort | string {
  if (typeof item === "number") return "ports must be published as HOST:CONTAINER";
  if (isRecord(item)) {
    const target = Number(item.target);
    const published = Number(item.published);
    const protocol = item.protocol ?? "tcp";
    if (protocol !== "tcp" && protocol !== "udp") return `unsupported protocol ${String(protocol)}`;
    if (!Number.isInteger(target) || !Number.isInteger(published))
      return "long-syntax ports need target and published";
    if (target !== published) return `published port ${published} must equal the container port ${target}`;
    return { port: target, protocol };
  }
  if (typeof item !== "string") return "a port must be a string";
  const m = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/i.exec(
    item,
  );
  if (!m) return `port "${item}" must look like HOST:CONTAINER[/tcp|udp] (no ranges)`;
  const host = Number(m[1]);
  const container = Number(m[2]);
  if (host !== container) return `port "${item}": the host port must equal the container port`;
  if (container < 1 || container > 65535) return `port "${item}" is out of range`;
  return { port: container, protocol: (m[3]?.toLowerCase() ?? "tcp") as "tcp" | "udp" };
}

/** Check one volume item; returns a problem or undefined. */
function volumeProblem(item: unknown, namedVolumes: Set<string>): string | undefined {
  let source: string | undefined;
  let type: string | undefined;
  if (typeof item === "string") {
    const parts = item.split(":");
    if (parts.length === 1) return undefined; // anonymous volume at a container path
    source = parts[0];
  } else if (isRecord(item)) {
    type = typeof item.type === "string" ? item.type : undefined;
    source = typeof item.source === "string" ? item.source : undefined;
    if (type !== "bind" && type !== "volume" && type !== "tmpfs")
      return `unsupported volume type ${String(type)}`;
    if (type === "tmpfs" || source === undefined) return undefined;
  } else {
    return "a volume must be a string or a mapping";
  }
  if (source === undefined || source === "") return "a volume needs a source";
  if (source.startsWith("./")) {
    if (source.split("/").includes("..")) return `bind mount "${source}" must stay under ./`;
    return undefined;
  }
  if (source.startsWith("/") || source.startsWith("~") || source.startsWith(".")) {
    if ((ALLOWED_HOST_PATHS as readonly string[]).includes(source)) return undefined;
    return `bind mount "${source}" is outside ./ (use a named volume or ./data/…)`;
  }
  if (type === "bind") return `bind mount "${source}" must start with ./`;
  if (!namedVolumes.has(source)) return `named volume "${source}" is not declared under top-level volumes`;
  return undefined;
}

/**
 * What a service may not do to the container it runs in: privileged (any spelling), host namespaces,
 * added capabilities or devices, relaxed security options, volumes outside the project, and variables in
 * any of the keys that decide these.
 */
function isolationProblems(svc: Record<string, unknown>, namedVolumes: Set<string>): string[] {
  const out: string[] = [];
  for (const key of FIXED_SERVICE_KEYS) {
    if (typeof svc[key] === "string" && (svc[key] as string).includes("$"))
      out.push(`${key} must not use variables`);
  }
  if (isTruthy(svc.privileged)) out.push("privileged is not allowed");
  for (const mode of FORBIDDEN_HOST_MODES) {
    if (
      String(svc[mode] ?? "")
        .trim()
        .toLowerCase() === "host"
    )
      out.push(`${mode}: host is not allowed`);
  }
  for (const key of FORBIDDEN_SERVICE_KEYS) {
    if (!(key in svc)) continue;
    // no-new-privileges only restricts the container (many stores' apps set it): the one option allowed.
    const opts = svc.security_opt;
    if (
      key === "security_opt" &&
      Array.isArray(opts) &&
      opts.every((o) => typeof o === "string" && NO_NEW_PRIVILEGES.test(o))
    )
      continue;
    out.push(`${key} is not allowed`);
  }
  if ("cap_add" in svc) {
    const caps = Array.isArray(svc.cap_add) ? svc.cap_add : [svc.cap_add];
    const refused = caps.filter((c) => typeof c !== "string" || !ALLOWED_CAPABILITIES.has(c.toUpperCase()));
    if (refused.length)
      out.push(
        `cap_add may only name ${[...ALLOWED_CAPABILITIES].join(", ")} (got ${refused.map(String).join(", ")})`,
      );
  }
  if (Array.isArray(svc.volumes)) {
    for (const item of svc.volumes) {
      const source = typeof item === "string" ? item.split(":")[0] : isRecord(item) ? item.source : undefined;
      const type = isRecord(item) ? item.type : undefined;
      if ([source, type].some((v) => typeof v === "string" && v.includes("$"))) {
        out.push(
          `volume "${typeof item === "string" ? item : String(source)}": sources must not use variables`,
        );
        continue;
      }
      const problem = volumeProblem(item, namedVolumes);
      if (problem) out.push(problem);
    }
  }
  return out;
}

/** Named volumes use the default local driver as they are: `driver_opts` can turn one into a host bind. */
function topLevelVolumeProblems(volumes: unknown): string[] {
  if (!isRecord(volumes)) return [];
  const out: string[] = [];
  for (const [name, spec] of Object.entries(volumes)) {
    if (spec === null || spec === undefined) continue;
    if (!isRecord(spec)) {
      out.push(`volume ${name} must be a mapping`);
      continue;
    }
    for (const key of Object.keys(spec)) {
      if (key !== "name" && key !== "labels")
        out.push(`volume ${name}: ${key} is not allowed (named volumes use the default driver)`);
    }
  }
  return out;
}

/**
 * The isolation rules again, after replacing every variable with each worst-case value: whatever a user
 * puts in the environment, the interpolated compose file must still pass.
 */
function worstCaseProblems(doc: ComposeDocument, namedVolumes: Set<string>): string[] {
  const found = new Set<string>();
  const direct = new Set(
    Object.entries(doc.services).flatMap(([name, svc]) =>
      isolationProblems(svc, namedVolumes).map((p) => `service ${name}: ${p}`),
    ),
  );
  for (const worst of WORST_CASE_VALUES) {
    let rendered: ComposeDocument;
    try {
      rendered = mapStrings(doc, (text) => substitute(text, () => worst)) as ComposeDocument;
    } catch {
      continue; // ${VAR:?…} and friends: reported by the variable scan
    }
    for (const [name, svc] of Object.entries(rendered.services)) {
      if (!isRecord(svc)) continue;
      for (const problem of isolationProblems(svc, namedVolumes)) {
        const message = `service ${name}: ${problem}`;
        if (!direct.has(message)) found.add(`${message} when a variable is "${worst}"`);
      }
    }
  }
  return [...found];
}

/** The policy's problems with an entry's compose document (and its ports and env as the document uses them). */
export function composeProblems(entry: CatalogEntry): EntryIssue[] {
  const issues: EntryIssue[] = [];
  const at = (message: string) => issues.push({ path: ["compose"], message });
  let doc: ComposeDocument;
  try {
    doc = parseCompose(entry.compose);
  } catch (err) {
    at((err as Error).message);
    return issues;
  }
  for (const key of Object.keys(doc)) {
    if (!ALLOWED_TOP_LEVEL.has(key) && !key.startsWith("x-")) at(`unsupported top-level key "${key}"`);
  }
  const namedVolumes = new Set(isRecord(doc.volumes) ? Object.keys(doc.volumes) : []);

  const published = new Map<string, string>(); // "port/proto" -> service
  let hostNetwork = false;
  for (const [name, svc] of Object.entries(doc.services)) {
    const where = `service ${name}: `;
    if (typeof svc.image !== "string") at(`${where}needs an image`);
    else {
      const problem = imageTagProblem(svc.image);
      const allowed = entry.unpinned_images.includes(svc.image) && isUnpinnedImage(svc.image);
      if (problem && !allowed) at(where + problem);
    }
    if ("build" in svc) at(`${where}build is not supported, use a published image`);
    for (const problem of isolationProblems(svc, namedVolumes)) at(where + problem);
    if (svc.network_mode === "host") {
      hostNetwork = true;
      if (svc.ports !== undefined) at(`${where}ports cannot be published with network_mode: host`);
    } else if (svc.network_mode !== undefined && !/^service:[a-z0-9_-]+$/i.test(String(svc.network_mode))) {
      at(`${where}network_mode must be host or service:<name>`);
    }
    if (svc.ports !== undefined) {
      if (!Array.isArray(svc.ports)) at(`${where}ports must be a list`);
      else
        for (const item of svc.ports) {
          const p = parsePublished(item);
          if (typeof p === "string") {
            at(where + p);
            continue;
          }
          const key = `${p.port}/${p.protocol}`;
          if (published.has(key)) at(`${where}port ${key} is already published by ${published.get(key)}`);
          published.set(key, name);
        }
    }
    if (svc.volumes !== undefined && !Array.isArray(svc.volumes)) at(`${where}volumes must be a list`);
  }
  for (const problem of topLevelVolumeProblems(doc.volumes)) at(problem);
  for (const problem of worstCaseProblems(doc, namedVolumes)) at(problem);

  const declared = new Set(entry.ports.map((p) => `${p.container}/${p.protocol}`));
  for (const key of published.keys()) {
    if (!declared.has(key)) at(`publishes ${key}, which is not declared in ports`);
  }
  if (!hostNetwork) {
    for (const key of declared) {
      if (!published.has(key))
        issues.push({ path: ["ports"], message: `port ${key} is not published by any service` });
    }
  }

  // Variables: every ${VAR} used is declared (or provided by Proximity), every declared env is used, and an
  // optional value that may be unset is only used with a non-empty fallback, so it never reaches the
  // container as a set-but-empty variable.
  const uses: VariableUse[] = [];
  const scan = (value: unknown): void => {
    if (typeof value === "string") {
      try {
        uses.push(...variableUses(value));
      } catch (err) {
        if (err instanceof InterpolationError) at(err.message);
        else throw err;
      }
    } else if (Array.isArray(value)) value.forEach(scan);
    else if (isRecord(value)) Object.values(value).forEach(scan);
  };
  scan(doc);
  // A setting a template file fills in is used too (the deploy writes it into that file).
  const inFiles = entry.files.filter((f) => f.template).flatMap((f) => placeholdersIn(f.content));
  const used = new Set([...uses.map((u) => u.name), ...inFiles]);
  const envByName = new Map(entry.env.map((e) => [e.name, e]));
  for (const v of used) {
    if (envByName.has(v)) continue;
    if (!isDeployVariable(v)) at(`uses \${${v}}, which is not declared in env`);
    else if (!providedVariables(entry).includes(v as DeployVariable))
      at(`uses \${${v}}, which an app without a web interface does not have`);
  }
  const reported = new Set<string>();
  for (const use of uses) {
    const e = envByName.get(use.name);
    if (!e || !mayBeUnset(e) || reported.has(use.name)) continue;
    if (use.op === "-" && use.colon && use.rest !== "") continue;
    reported.add(use.name);
    at(
      `\${${use.name}} is optional without a default, so it can be unset: use \${${use.name}:-<fallback>} ` +
        "or give it a default (an empty value must never reach the container)",
    );
  }
  entry.env.forEach((e, i) => {
    if (!used.has(e.name))
      issues.push({ path: ["env", i, "name"], message: `${e.name} is not used by the compose file` });
  });
  return issues;
}

/** Whether an env can be left out of `.env`: optional, no default, nothing generated. */
function mayBeUnset(e: CatalogEnv): boolean {
  return !e.required && e.default === undefined && e.generate === undefined;
}

/** The image reference of every service, in compose order (empty when the compose file does not parse). */
export function composeImages(compose: string): string[] {
  try {
    const doc = parseCompose(compose);
    return Object.values(doc.services)
      .map((svc) => (typeof svc.image === "string" ? svc.image : ""))
      .filter(Boolean);
  } catch {
    return []; // reported by checkCompose
  }
}

/** The tag of an image reference ("" when it has none). */
function imageTag(image: string): string {
  const last = image.slice(image.lastIndexOf("/") + 1).split("@")[0] ?? "";
  const colon = last.indexOf(":");
  return colon === -1 ? "" : last.slice(colon + 1);
}

/** `name@sha256:…` without a tag: the digest is the only name of the release. */
export function isPinnedByDigestAlone(image: string): boolean {
  return image.includes("@sha256:") && imageTag(image) === "";
}

/** The tags of every service image, for the `version` check. */
export function imageTags(compose: string): string[] {
  return composeImages(compose).map(imageTag).filter(Boolean);
}

/**
 * The images of an entry that do not carry its `version` (databases, caches, browsers beside the app): the ones
 * `pin.sidecars` should record.
 */
export function sidecarImagesOf(entry: Pick<CatalogEntry, "compose" | "version">): string[] {
  const version = entry.version.replace(/^v/, "");
  return [...new Set(composeImages(entry.compose))].filter((image) => !imageTag(image).includes(version));
}
