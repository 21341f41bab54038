/**
 * Validates a captured HTTP request against pve-api-subset.json the way PVE's JSONSchema.pm would:
 * every parameter known, types and limits right, required present, property strings well formed, no
 * body on GET/DELETE. Returns the list of problems (empty = PVE would accept the parameters).
 */
import subset from "../../../../src/simulator/pve-api-subset.json" with { type: "json" };

type Schema = {
  type?: string;
  optional?: number;
  enum?: string[];
  minimum?: number | string;
  maximum?: number | string;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  format?: string | Record<string, Schema>;
  default_key?: number;
  items?: Schema;
};

interface Endpoint {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  properties: Record<string, Schema>;
}

export const ENDPOINTS: Endpoint[] = Object.entries(
  (
    subset as unknown as {
      endpoints: Record<string, { parameters?: { properties?: Record<string, Schema> } }>;
    }
  ).endpoints,
).map(([key, value]) => {
  const [method, template] = key.split(" ") as [string, string];
  const names: string[] = [];
  // {volume} matches the rest of the path on PVE; every other placeholder one segment.
  const source = template.replace(/\{([a-z]+)\}/g, (_, name: string) => {
    names.push(name);
    return name === "volume" ? "(.+)" : "([^/]+)";
  });
  return {
    method,
    template,
    regex: new RegExp(`^${source}$`),
    names,
    properties: value.parameters?.properties ?? {},
  };
});

export interface CapturedRequest {
  method: string;
  /** Path below /api2/json, still URL-encoded. */
  path: string;
  query: URLSearchParams;
  body: string;
  contentType: string | null;
}

export function matchEndpoint(method: string, path: string) {
  for (const endpoint of ENDPOINTS) {
    if (endpoint.method !== method) continue;
    const m = endpoint.regex.exec(path);
    if (!m) continue;
    const pathParams: Record<string, string> = {};
    endpoint.names.forEach((name, i) => {
      pathParams[name] = decodeURIComponent(m[i + 1]!);
    });
    return { endpoint, pathParams };
  }
  return undefined;
}

export function validateRequest(req: CapturedRequest): { template?: string; problems: string[] } {
  const problems: string[] = [];
  const match = matchEndpoint(req.method, req.path);
  if (!match) return { problems: [`${req.method} ${req.path} is not in the subset`] };
  const { endpoint, pathParams } = match;

  const params = new Map<string, string[]>();
  const add = (k: string, v: string) => params.set(k, [...(params.get(k) ?? []), v]);
  if (req.method === "GET" || req.method === "DELETE") {
    if (req.body.length > 0) problems.push(`${req.method} carries a body (PVE answers 501)`);
  } else if (req.body.length > 0) {
    if (!req.contentType?.startsWith("application/x-www-form-urlencoded")) {
      problems.push(`unexpected content type ${req.contentType}`);
    }
    for (const [k, v] of new URLSearchParams(req.body)) add(k, v);
  }
  for (const [k, v] of req.query) add(k, v);

  for (const [name, value] of Object.entries(pathParams)) {
    if (params.has(name)) problems.push(`path parameter ${name} repeated in the parameters`);
    const schema = endpoint.properties[name];
    if (!schema) problems.push(`path parameter ${name} not in schema`);
    else problems.push(...checkValue(name, value, schema));
  }

  for (const [name, values] of params) {
    const schemaKey = endpoint.properties[name] ? name : name.replace(/^([a-z]+)\d+$/, "$1[n]");
    const schema = endpoint.properties[schemaKey];
    if (!schema) {
      problems.push(`${name}: property is not defined in schema`);
      continue;
    }
    if (values.length > 1 && schema.type !== "array") problems.push(`${name}: sent ${values.length} times`);
    for (const value of values)
      problems.push(...checkValue(name, value, schema.type === "array" ? (schema.items ?? {}) : schema));
  }

  for (const [name, schema] of Object.entries(endpoint.properties)) {
    if (schema.optional || name.includes("[n]")) continue;
    if (!params.has(name) && !(name in pathParams))
      problems.push(`${name}: property is missing and it is not optional`);
  }
  return { template: `${endpoint.method} ${endpoint.template}`, problems };
}

function checkValue(name: string, value: string, schema: Schema): string[] {
  const out: string[] = [];
  const fail = (msg: string) => out.push(`${name}: ${msg} - got ${JSON.stringify(value)}`);
  switch (schema.type) {
    case "boolean":
      if (value !== "0" && value !== "1") fail("type check ('boolean') failed");
      return out;
    case "integer":
      if (!/^-?\d+$/.test(value)) {
        fail("type check ('integer') failed");
        return out;
      }
      break;
    case "number":
      if (!/^-?\d+(\.\d+)?$/.test(value)) {
        fail("type check ('number') failed");
        return out;
      }
      break;
  }
  if (schema.type === "integer" || schema.type === "number") {
    const n = Number(value);
    if (schema.minimum !== undefined && n < Number(schema.minimum))
      fail(`value must have a minimum value of ${schema.minimum}`);
    if (schema.maximum !== undefined && n > Number(schema.maximum))
      fail(`value must have a maximum value of ${schema.maximum}`);
    return out;
  }
  if (schema.enum && !schema.enum.includes(value)) fail(`value does not have a value in the enumeration`);
  if (schema.maxLength !== undefined && value.length > schema.maxLength) fail("too long");
  if (schema.minLength !== undefined && value.length < schema.minLength) fail("too short");
  if (schema.pattern && !perlRegex(schema.pattern).test(value))
    fail("value does not match the regex pattern");
  if (typeof schema.format === "object") out.push(...checkPropertyString(name, value, schema.format));
  else if (schema.format) out.push(...checkNamedFormat(name, value, schema.format));
  return out;
}

/** PVE patterns are Perl (with `(?^:…)` groups) and implicitly anchored. */
function perlRegex(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern.replaceAll("(?^:", "(?:")})$`);
}

function checkPropertyString(name: string, value: string, format: Record<string, Schema>): string[] {
  const out: string[] = [];
  const defaultKey = Object.entries(format).find(([, s]) => s.default_key)?.[0] ?? "volume";
  for (const [i, part] of value.split(",").entries()) {
    const eq = part.indexOf("=");
    let key: string;
    let val: string;
    if (eq < 0) {
      if (i !== 0 || !format[defaultKey]) {
        out.push(`${name}: '${part}' has no key`);
        continue;
      }
      key = defaultKey;
      val = part;
    } else {
      key = part.slice(0, eq);
      val = part.slice(eq + 1);
    }
    const sub = format[key];
    if (!sub) {
      out.push(`${name}: unknown key '${key}' in property string`);
      continue;
    }
    out.push(...checkValue(`${name}.${key}`, val, sub));
  }
  for (const [key, sub] of Object.entries(format)) {
    if (sub.optional || sub.default_key) continue;
    if (
      !value
        .split(",")
        .some((p, i) => p.startsWith(`${key}=`) || (i === 0 && key === defaultKey && !p.includes("=")))
    ) {
      out.push(`${name}: property string lacks required key '${key}'`);
    }
  }
  return out;
}

const NAMED_FORMATS: Record<string, RegExp> = {
  "pve-node": /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
  "pve-storage-id": /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i,
  "pve-configid": /^[a-z][a-z0-9_]+$/i,
  "pve-vmid-list": /^\d+(,\d+)*$/,
  "dns-name": /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
  "pve-tag-list": /^[a-z0-9_][a-z0-9_\-+.]*([;, ][a-z0-9_][a-z0-9_\-+.]*)*$/i,
  "pve-configid-list": /^[a-z][a-z0-9_]+(,[a-z][a-z0-9_]+)*$/i,
  "pve-volume-id": /^[a-z][a-z0-9\-_.]*[a-z0-9]:.+$/i,
  "prune-backups": /^keep-[a-z]+=\d+(,keep-[a-z]+=\d+)*$/,
};

function checkNamedFormat(name: string, value: string, format: string): string[] {
  const re = NAMED_FORMATS[format];
  return re && !re.test(value) ? [`${name}: invalid format ${format} - got ${JSON.stringify(value)}`] : [];
}
