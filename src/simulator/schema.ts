/**
 * The PVE 8.4 endpoint table, taken from `pve-api-subset.json` (facts-only subset of the official
 * API schema; see its `_source` key for provenance). The simulator serves exactly these endpoints,
 * so the schema is also the router: each path template becomes a regex.
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
}

export interface EndpointSchema {
  name: string;
  allowtoken?: number;
  protected?: number;
  parameters: { additionalProperties?: number; properties?: Record<string, PropSchema> };
  returns: unknown;
  /** The privilege check PVE runs before the handler (RPCEnvironment check_api2_permissions). */
  permissions?: { check: unknown[] };
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

export const compiledEndpoints: CompiledEndpoint[] = Object.entries(endpoints).map(([k, s]) => compile(k, s));

export interface RouteMatch {
  endpoint: CompiledEndpoint;
  pathValues: Record<string, string>;
}

/** Finds the endpoint for a method and a path below /api2/json (already percent-decoded per segment). */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const endpoint of compiledEndpoints) {
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
