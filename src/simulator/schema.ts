/**
 * The PVE endpoint table, taken from `pve-api-subset.json` (facts-only subset of the official
 * API schema; see its `_source` key for provenance). The simulator serves exactly these endpoints,
 * so the schema is also the router: each path template becomes a regex. What 9.1 added carries
 * `_since: "9.1"` and is hidden when the simulator plays an older release (8.4): such a route then
 * answers 501 "Method … not implemented" and such a parameter "property is not defined in schema".
 */
import subset from "./pve-api-subset.json" with { type: "json" };

export interface PropSchema {
  type?: string;
  optional?: number;
  format?: string | Record<string, PropSchema>;
  enum?: string[];
  minimum?: number | string;
  maximum?: number | string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  items?: PropSchema;
  default_key?: number;
  /** Not PVE's: the release that added this property (absent = 8.4 has it). */
  _since?: string;
}

export interface EndpointSchema {
  name: string;
  allowtoken?: number;
  protected?: number;
  parameters: { additionalProperties?: number; properties?: Record<string, PropSchema> };
  returns: unknown;
  /** The privilege check PVE runs before the handler (RPCEnvironment check_api2_permissions). */
  permissions?: { check: unknown[] };
  /** Not PVE's: the release that added this endpoint. */
  _since?: string;
}

export interface CompiledEndpoint {
  /** "POST /nodes/{node}/lxc" - the key handlers are registered under. */
  key: string;
  method: string;
  template: string;
  regex: RegExp;
  pathParams: string[];
  schema: EndpointSchema;
}

const endpoints = (subset as unknown as { endpoints: Record<string, EndpointSchema> }).endpoints;

function compile(key: string, schema: EndpointSchema): CompiledEndpoint {
  const [method, template] = key.split(" ") as [string, string];
  const pathParams: string[] = [];
  const pattern = template
    .split("/")
    .map((seg) => {
      const m = /^\{(.+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      pathParams.push(m[1]!);
      // `{volume}` swallows the rest of the path (PVE declares fragmentDelimiter '' for it),
      // so "local:backup/vzdump-...tar.zst" works unencoded.
      return m[1] === "volume" ? "(.+)" : "([^/]+)";
    })
    .join("/");
  return { key, method, template, regex: new RegExp(`^${pattern}$`), pathParams, schema };
}

/** "9.2" ≥ "9.1": numeric per dotted part. */
export function releaseAtLeast(release: string, since: string): boolean {
  const a = release.split(".").map(Number);
  const b = since.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

function propForRelease(prop: PropSchema, release: string): PropSchema | undefined {
  if (prop._since && !releaseAtLeast(release, prop._since)) return undefined;
  if (!prop.format || typeof prop.format === "string") return prop;
  const format: Record<string, PropSchema> = {};
  for (const [k, sub] of Object.entries(prop.format)) {
    const kept = propForRelease(sub, release);
    if (kept) format[k] = kept;
  }
  return { ...prop, format };
}

/** The endpoint as `release` declares it, or undefined when that release does not have it. */
export function schemaForRelease(schema: EndpointSchema, release: string): EndpointSchema | undefined {
  if (schema._since && !releaseAtLeast(release, schema._since)) return undefined;
  const properties: Record<string, PropSchema> = {};
  for (const [k, prop] of Object.entries(schema.parameters.properties ?? {})) {
    const kept = propForRelease(prop, release);
    if (kept) properties[k] = kept;
  }
  return { ...schema, parameters: { ...schema.parameters, properties } };
}

const compiledByRelease = new Map<string, CompiledEndpoint[]>();

/** The routes of one release (cached). */
export function compiledEndpointsFor(release: string): CompiledEndpoint[] {
  let list = compiledByRelease.get(release);
  if (!list) {
    list = Object.entries(endpoints).flatMap(([k, s]) => {
      const schema = schemaForRelease(s, release);
      return schema ? [compile(k, schema)] : [];
    });
    compiledByRelease.set(release, list);
  }
  return list;
}

export interface RouteMatch {
  endpoint: CompiledEndpoint;
  pathValues: Record<string, string>;
}

/**
 * Finds the endpoint for a method and a path below /api2/json (already percent-decoded per segment), as
 * the PVE release `release` declares it.
 */
export function matchRoute(method: string, path: string, release: string): RouteMatch | undefined {
  for (const endpoint of compiledEndpointsFor(release)) {
    if (endpoint.method !== method) continue;
    const m = endpoint.regex.exec(path);
    if (!m) continue;
    const pathValues: Record<string, string> = {};
    endpoint.pathParams.forEach((name, i) => {
      pathValues[name] = decodeURIComponent(m[i + 1]!);
    });
    return { endpoint, pathValues };
  }
  return undefined;
}

/** Does any method exist for this path? Used to pick between 501 variants. */
export function endpointSchema(key: string): EndpointSchema | undefined {
  return endpoints[key];
}
