/**
 * The OCI runtime's reading of an entry: its one compose service, run by PVE 9.1+ from the image itself as an
 * application container. Only a single service with `image`, `restart`, `environment`, `ports` and named
 * `volumes` (each becomes a mount point) can run this way, and the image must be a tag (PVE refuses digests).
 */
import { type ComposeDocument, isRecord, parseCompose } from "./compose-policy.ts";

/** What the OCI runtime takes from an entry's compose service. */
export interface OciService {
  /** The compose service's name. */
  name: string;
  /** The image as the compose file names it (a tag, no digest). */
  image: string;
  /** `environment` as written (values may hold `${VAR}`), in order. */
  environment: [string, string][];
  /** Named volumes: the volume's name and the path it is mounted at in the container. */
  volumes: { name: string; path: string }[];
}

const OCI_SERVICE_KEYS = new Set(["image", "restart", "environment", "ports", "volumes"]);

function serviceEnvironment(value: unknown): [string, string][] | string {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    const out: [string, string][] = [];
    for (const item of value) {
      if (typeof item !== "string" || !item.includes("=")) return "environment items must be KEY=value";
      const i = item.indexOf("=");
      out.push([item.slice(0, i), item.slice(i + 1)]);
    }
    return out;
  }
  if (!isRecord(value)) return "environment must be a mapping or a list";
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
      return `environment ${k} must be a scalar`;
    out.push([k, String(v)]);
  }
  return out;
}

/** The entry's service for the OCI runtime, or the reasons it cannot run as one. */
export function ociService(compose: string): OciService | string[] {
  let doc: ComposeDocument;
  try {
    doc = parseCompose(compose);
  } catch (err) {
    return [(err as Error).message];
  }
  const services = Object.entries(doc.services);
  if (services.length !== 1) {
    return [`oci needs exactly one compose service (found ${services.length}); use docker for this app`];
  }
  const [name, svc] = services[0]!;
  const problems: string[] = [];
  for (const key of Object.keys(svc)) {
    if (!OCI_SERVICE_KEYS.has(key)) problems.push(`oci cannot run service ${name}'s "${key}"`);
  }
  const image = typeof svc.image === "string" ? svc.image : "";
  if (image.includes("@")) problems.push(`oci needs a tagged image; PVE refuses a digest (${image})`);
  const environment = serviceEnvironment(svc.environment);
  if (typeof environment === "string") problems.push(`service ${name}: ${environment}`);
  const volumes: { name: string; path: string }[] = [];
  for (const item of Array.isArray(svc.volumes) ? svc.volumes : []) {
    const parts = typeof item === "string" ? item.split(":") : [];
    const [source, path] = parts;
    if (parts.length < 2 || !source || !path || source.startsWith(".") || source.startsWith("/")) {
      problems.push(`oci mounts only named volumes (${JSON.stringify(item)})`);
      continue;
    }
    volumes.push({ name: source, path });
  }
  if (volumes.length > 8) problems.push("oci mounts at most 8 volumes");
  if (problems.length > 0 || typeof environment === "string") return problems;
  return { name, image, environment, volumes };
}

/** Why the entry cannot run on the OCI runtime (empty when it can). */
export function ociProblems(compose: string): string[] {
  const result = ociService(compose);
  return Array.isArray(result) ? result : [];
}
