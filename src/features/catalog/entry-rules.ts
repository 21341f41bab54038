/**
 * The rules across an entry's fields, and parsing a catalog file with them. An entry that passes can actually
 * be deployed and keeps working for its whole life (docs/catalog.md):
 *
 * - an app with a web interface (the default) has exactly one `primary` port, and it is TCP (the app URL is
 *   http://<ip>:<primary port>), and a health check on one of its TCP ports; an app without one (`web: false`)
 *   has no primary port, no HTTP health check, no `exposure`, and its compose file does not use `APP_URL` or
 *   `APP_PORT` (compose-policy.ts);
 * - port names and (port, protocol) pairs are unique;
 * - env names are unique; `generate` excludes `default` and `required`; a `secret` never has a `default`;
 *   `default: ""` is refused (leave the default out instead); no env takes a name Proximity provides
 *   (`APP_ADDRESS`, `APP_HOSTNAME`, `APP_URL`, `APP_PORT`, written to `.env` once the container has its
 *   address, and again whenever it changes);
 * - `version` is the tag (or the start of the tag) of one of the images, and `pin` records when it was last
 *   checked against `pin.source` (the upstream release page), with the support policy and end date if known;
 * - the compose document follows the policy of compose-policy.ts, and an entry listing the `oci` runtime can
 *   run as one (oci-service.ts);
 * - the files it ships go into its own named volumes, within the size limits (entry-files.ts).
 *
 * The shape itself (fields, limits, the health check's two requests, the memory minimum that leaves room for
 * the Docker daemon, `update_policy`, `upgrade`, `runtimes`) is catalog.schemas.ts.
 */
import {
  type CatalogEntry,
  catalogEntryObjectSchema,
  type EntryIssue,
  isDeployVariable,
} from "./catalog.schemas.ts";
import {
  composeImages,
  composeProblems,
  imageTags,
  isPinnedByDigestAlone,
  isUnpinnedImage,
  parseCompose,
} from "./compose-policy.ts";
import { entryFileProblems } from "./entry-files.ts";
import { ociProblems } from "./oci-service.ts";
import { strictYaml, type YamlParser } from "./yaml-parsers.ts";

/** An env `pattern` as an anchored RegExp (undefined when it does not compile). */
export function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return undefined;
  }
}

/** An app with a web interface: exactly one primary TCP port, and an HTTP health check on a TCP port. */
function checkWebPorts(entry: CatalogEntry, issues: EntryIssue[]): void {
  const primaries = entry.ports.filter((p) => p.primary);
  if (primaries.length !== 1) {
    issues.push({ path: ["ports"], message: `exactly one port must be primary (found ${primaries.length})` });
  } else if (primaries[0]!.protocol !== "tcp") {
    issues.push({ path: ["ports"], message: "the primary port must be TCP" });
  }
  const check = entry.healthcheck;
  if (!check) {
    issues.push({
      path: ["healthcheck"],
      message: "an app with a web interface needs a health check (or say web: false)",
    });
  } else if (!entry.ports.some((p) => p.protocol === "tcp" && p.container === check.port)) {
    issues.push({ path: ["healthcheck", "port"], message: "must be one of the TCP ports" });
  }
}

/**
 * An app without a web interface: no port is its web port, nothing checks it over HTTP, the managed proxy has
 * nothing to forward, and its compose file cannot use the URL and web port it does not have.
 */
function checkNoWeb(entry: CatalogEntry, issues: EntryIssue[]): void {
  entry.ports.forEach((p, i) => {
    if (p.primary)
      issues.push({
        path: ["ports", i, "primary"],
        message: "an app without a web interface has no primary port",
      });
  });
  if (entry.healthcheck)
    issues.push({
      path: ["healthcheck"],
      message:
        "an app without a web interface has no HTTP health check (its containers and first TCP port are checked)",
    });
  if (entry.exposure)
    issues.push({
      path: ["exposure"],
      message: "an app without a web interface cannot be exposed at an HTTPS name",
    });
}

function checkEntry(entry: CatalogEntry, issues: EntryIssue[]): void {
  const declaredEnv = new Set(entry.env.map((e) => e.name));
  for (const name of Object.keys(entry.exposure?.env ?? {})) {
    if (!declaredEnv.has(name))
      issues.push({ path: ["exposure", "env", name], message: `${name} is not a declared env` });
  }
  if (entry.web) checkWebPorts(entry, issues);
  else checkNoWeb(entry, issues);
  entry.ports.forEach((p, i) => {
    if (p.scheme !== undefined && p.protocol !== "tcp")
      issues.push({ path: ["ports", i, "scheme"], message: "only a TCP port has a scheme" });
  });
  const portNames = new Set<string>();
  const portKeys = new Set<string>();
  entry.ports.forEach((p, i) => {
    if (portNames.has(p.name))
      issues.push({ path: ["ports", i, "name"], message: `duplicate port name ${p.name}` });
    const key = `${p.container}/${p.protocol}`;
    if (portKeys.has(key)) issues.push({ path: ["ports", i], message: `duplicate port ${key}` });
    portNames.add(p.name);
    portKeys.add(key);
  });
  const version = entry.version.replace(/^v/, "");
  const unpinned = new Set(entry.unpinned_images);
  const tags = imageTags(entry.compose);
  // With an image named without a version, `version` is the store's word for the release: no tag to match.
  // So it is with an image pinned by its digest alone (`name@sha256:…`): the digest names the release, no tag.
  const byDigestAlone = composeImages(entry.compose).some(isPinnedByDigestAlone);
  if (unpinned.size === 0 && !byDigestAlone && tags.length > 0 && !tags.some((t) => t.includes(version))) {
    issues.push({
      path: ["version"],
      message: `"${entry.version}" is not the tag of any image (${tags.join(", ")}): say which release is pinned`,
    });
  }
  if (entry.pin.eol !== undefined && entry.pin.eol < entry.pin.verified) {
    issues.push({
      path: ["pin", "eol"],
      message: "the pinned release was already out of support when verified",
    });
  }
  const images = composeImages(entry.compose);
  entry.unpinned_images.forEach((image, i) => {
    if (!images.includes(image) || !isUnpinnedImage(image))
      issues.push({
        path: ["unpinned_images", i],
        message: `${image} is not an image of the compose file without a version (latest, an architecture or a branch such as master-amd64, or no tag)`,
      });
  });
  const sidecarImages = new Set<string>();
  (entry.pin.sidecars ?? []).forEach((sidecar, i) => {
    if (sidecarImages.has(sidecar.image)) {
      issues.push({ path: ["pin", "sidecars", i, "image"], message: `${sidecar.image} is listed twice` });
    }
    sidecarImages.add(sidecar.image);
    if (images.length > 0 && !images.includes(sidecar.image)) {
      issues.push({
        path: ["pin", "sidecars", i, "image"],
        message: `${sidecar.image} is not an image of the compose file (${images.join(", ")})`,
      });
    }
    if (sidecar.eol !== undefined && sidecar.eol < entry.pin.verified) {
      issues.push({
        path: ["pin", "sidecars", i, "eol"],
        message: `${sidecar.image} was already out of support when verified`,
      });
    }
  });
  const envNames = new Set<string>();
  entry.env.forEach((e, i) => {
    if (envNames.has(e.name)) issues.push({ path: ["env", i, "name"], message: `duplicate env ${e.name}` });
    envNames.add(e.name);
    if (isDeployVariable(e.name)) {
      issues.push({
        path: ["env", i, "name"],
        message: `${e.name} is provided by Proximity and cannot be declared`,
      });
    }
    if (e.default === "") {
      issues.push({
        path: ["env", i, "default"],
        message: "an empty default would reach the container set-but-empty: leave the default out",
      });
    }
    if (e.generate && e.default !== undefined) {
      issues.push({ path: ["env", i], message: "a generated value cannot have a default" });
    }
    if (e.generate && e.required) {
      issues.push({ path: ["env", i], message: "a generated value cannot be required" });
    }
    if (e.secret && e.default !== undefined) {
      issues.push({ path: ["env", i], message: "a secret cannot have a default" });
    }
    if ((e.pattern === undefined) !== (e.pattern_message === undefined)) {
      issues.push({ path: ["env", i], message: "pattern and pattern_message go together" });
    }
    if (e.pattern !== undefined) {
      const re = compilePattern(e.pattern);
      if (!re) issues.push({ path: ["env", i, "pattern"], message: "is not a valid regular expression" });
      else if (e.default !== undefined && !re.test(e.default))
        issues.push({ path: ["env", i, "default"], message: "does not match the pattern" });
    }
    if (e.default !== undefined && /[\0\r\n]/.test(e.default)) {
      issues.push({ path: ["env", i, "default"], message: "must be a single line" });
    }
  });
  if (new Set(entry.tags).size !== entry.tags.length)
    issues.push({ path: ["tags"], message: "duplicate tags" });
  if (new Set(entry.runtimes).size !== entry.runtimes.length)
    issues.push({ path: ["runtimes"], message: "duplicate runtimes" });
  issues.push(...composeProblems(entry));
  issues.push(...entryFileProblems(entry));
  if (entry.runtimes.includes("oci")) {
    for (const message of ociProblems(entry.compose)) issues.push({ path: ["runtimes"], message });
  }
}

/** The full schema: shape + cross-field rules. Parse with `.safeParse(raw)`. */
export const catalogEntrySchema = catalogEntryObjectSchema.superRefine((entry, ctx) => {
  const issues: EntryIssue[] = [];
  checkEntry(entry, issues);
  for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

/** `path: message` for a zod issue, e.g. `ports: exactly one port must be primary (found 2)`. */
export function formatIssue(issue: { path: PropertyKey[]; message: string }): string {
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

export type ParseResult = { ok: true; entry: CatalogEntry } | { ok: false; issues: string[] };

/**
 * Validate one catalog file: YAML text → entry. `fileId` is the file name without its extension; the entry's
 * `id` must equal it (so `GET /catalog/{id}` and the file on disk never disagree). `parse` is the strict
 * parser unless the file was shipped with the code (yaml-parsers.ts).
 */
export function parseCatalogFile(text: string, fileId: string, parse: YamlParser = strictYaml): ParseResult {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    return { ok: false, issues: [`not valid YAML: ${(err as Error).message.split("\n")[0]}`] };
  }
  // Whatever reads the compose document later (rendering, a deploy) goes through parseCompose and its cache:
  // a shipped one is parsed here by the same fast parser.
  if (parse !== strictYaml && raw !== null && typeof raw === "object" && "compose" in raw) {
    const compose = (raw as { compose: unknown }).compose;
    if (typeof compose === "string") {
      try {
        parseCompose(compose, parse);
      } catch {
        // reported by the rules, with the strict parser's message
      }
    }
  }
  // A shipped file gets the shape only: the cross-field rules (compose policy, files, oci) only add issues,
  // never change the entry, and tests/unit/catalog/shipped-yaml.test.ts holds every shipped file to them.
  // Running them at every start cost ~90 ms and ~4 MB of resident compiled code (docs/performance.md).
  const result = (parse === strictYaml ? catalogEntrySchema : catalogEntryObjectSchema).safeParse(raw);
  if (!result.success) return { ok: false, issues: result.error.issues.map(formatIssue) };
  if (result.data.unpinned_images.length > 0) {
    // A catalog file is verified: it pins its images, so updates can be tracked.
    return {
      ok: false,
      issues: ["unpinned_images: only entries imported from a third-party store may run unpinned images"],
    };
  }
  if (result.data.id !== fileId) {
    return { ok: false, issues: [`id: "${result.data.id}" does not match the file name "${fileId}"`] };
  }
  return { ok: true, entry: result.data };
}
