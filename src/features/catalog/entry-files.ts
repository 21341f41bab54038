/**
 * The files an entry ships (`files`, catalog.schemas.ts): the rules they follow, their bytes, and where a
 * deploy finds the volume they go into. A file lands in a named volume of the compose project, never on a
 * path the entry chooses: its volume is declared by the compose file with the default driver and no `name`
 * (so Docker calls it `<project>_<volume>`), and its path stays inside that volume.
 */
import {
  type CatalogEntry,
  type CatalogFile,
  ENTRY_FILE_LIMITS,
  type EntryIssue,
  providedVariables,
} from "./catalog.schemas.ts";
import { parseCompose } from "./compose-policy.ts";
import { placeholdersIn } from "./file-templates.ts";

/** The compose project of every docker app: `/opt/proximity/compose.yaml` (provision.ts) names it. */
export const COMPOSE_PROJECT = "proximity";

/** A file's bytes (its `content` decoded). */
export function fileBytes(file: CatalogFile): Uint8Array {
  return file.encoding === "base64"
    ? new Uint8Array(Buffer.from(file.content, "base64"))
    : new TextEncoder().encode(file.content);
}

/** The Docker volume a named volume of the entry's compose file becomes: `<project>_<volume>`. */
export function dockerVolumeName(compose: string, volume: string): string {
  const doc = parseCompose(compose) as { name?: unknown };
  const project = typeof doc.name === "string" && doc.name ? doc.name : COMPOSE_PROJECT;
  return `${project}_${volume}`;
}

/** The rules across `files` and the compose document. */
export function entryFileProblems(entry: CatalogEntry): EntryIssue[] {
  if (entry.files.length === 0) return [];
  const issues: EntryIssue[] = [];
  let volumes: Record<string, unknown> = {};
  try {
    const doc = parseCompose(entry.compose) as { volumes?: unknown };
    if (doc.volumes && typeof doc.volumes === "object") volumes = doc.volumes as Record<string, unknown>;
  } catch {
    return issues; // the compose rules report it
  }
  const seen = new Set<string>();
  let total = 0;
  entry.files.forEach((file, i) => {
    if (!Object.hasOwn(volumes, file.volume)) {
      issues.push({
        path: ["files", i, "volume"],
        message: `${file.volume} is not a volume declared under the compose file's top-level volumes`,
      });
    } else {
      const spec = volumes[file.volume];
      if (spec && typeof spec === "object" && ("name" in spec || "external" in spec)) {
        issues.push({
          path: ["files", i, "volume"],
          message: `${file.volume} must be the project's own volume (no name, not external)`,
        });
      }
    }
    const key = `${file.volume}:${file.path}`;
    if (seen.has(key)) issues.push({ path: ["files", i, "path"], message: `${key} is written twice` });
    seen.add(key);
    for (const other of seen) {
      if (other.startsWith(`${key}/`) || key.startsWith(`${other}/`))
        issues.push({ path: ["files", i, "path"], message: `${key} is both a file and a directory` });
    }
    if (file.encoding === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(file.content)) {
      issues.push({ path: ["files", i, "content"], message: "is not base64" });
      return;
    }
    if (file.template) {
      if (file.encoding !== "utf-8")
        issues.push({ path: ["files", i, "encoding"], message: "a template is UTF-8 text" });
      const provided = new Set([...entry.env.map((e) => e.name), ...providedVariables(entry)]);
      for (const name of placeholdersIn(file.content)) {
        const setting = entry.env.find((e) => e.name === name);
        if (setting && !setting.required && setting.default === undefined && !setting.generate)
          issues.push({
            path: ["files", i, "content"],
            message: `{{${name}}} is optional without a default: a template is never written with an empty value`,
          });
        if (!provided.has(name))
          issues.push({
            path: ["files", i, "content"],
            message: `{{${name}}} is neither a setting of env nor a variable Proximity provides`,
          });
      }
    }
    const size = fileBytes(file).length;
    if (size > ENTRY_FILE_LIMITS.bytes) {
      issues.push({
        path: ["files", i, "content"],
        message: `${size} bytes: a file may hold at most ${ENTRY_FILE_LIMITS.bytes}`,
      });
    }
    total += size;
  });
  if (total > ENTRY_FILE_LIMITS.totalBytes) {
    issues.push({
      path: ["files"],
      message: `${total} bytes in all: an entry may ship at most ${ENTRY_FILE_LIMITS.totalBytes}`,
    });
  }
  if (entry.runtimes.includes("oci")) {
    issues.push({
      path: ["runtimes"],
      message:
        "an entry that ships files runs on docker only (an application container has no volumes to seed)",
    });
  }
  return issues;
}
