/**
 * Parameter verification against the PVE schema subset, reproducing PVE::JSONSchema's messages:
 * every failure is collected per field and raised as one 400
 * "Parameter verification failed." with `errors`.
 *
 * Form bodies carry strings only, so a boolean must be exactly "1" or "0" (PVE rejects "true");
 * a JSON body may carry real booleans and numbers (JSON::PP booleans stringify to 1/0 in Perl).
 */
import { paramFail } from "./errors.ts";
import type { EndpointSchema, PropSchema } from "./schema.ts";

export type RawValue = string | number | boolean | null | RawValue[] | { [k: string]: RawValue };
export type Params = Record<string, unknown>;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DNS_LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/** Finds the schema of a parameter, mapping indexed names (net0, mp3, unused1) onto `net[n]` etc. */
export function propertyFor(schema: EndpointSchema, name: string): PropSchema | undefined {
  const props = schema.parameters.properties ?? {};
  if (props[name]) return props[name];
  const m = /^([a-z]+)(\d+)$/.exec(name);
  if (m) return props[`${m[1]}[n]`];
  return undefined;
}

/** Returns the typed parameters, or throws 400 with PVE's per-field messages. */
export function verifyParams(schema: EndpointSchema, input: Record<string, RawValue>): Params {
  const props = schema.parameters.properties ?? {};
  const errors: Record<string, string> = {};
  const out: Params = {};

  for (const [name, value] of Object.entries(input)) {
    const prop = propertyFor(schema, name);
    if (!prop) {
      if (!schema.parameters.additionalProperties) {
        errors[name] =
          "property is not defined in schema and the schema does not allow additional properties";
      }
      continue;
    }
    const checked = checkValue(prop, value, name);
    if (checked.error !== undefined) errors[name] = checked.error;
    else out[name] = checked.value;
  }
  for (const [name, prop] of Object.entries(props)) {
    if (name.includes("[n]") || prop.optional) continue;
    if (input[name] === undefined && errors[name] === undefined) {
      errors[name] = "property is missing and it is not optional";
    }
  }
  if (Object.keys(errors).length > 0) paramFail(errors);
  return out;
}

type Checked = { value: unknown; error?: undefined } | { error: string; value?: undefined };

function scalarText(value: RawValue): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function checkValue(prop: PropSchema, value: RawValue, path: string): Checked {
  const type = prop.type ?? "string";
  if (type === "array") {
    const list = Array.isArray(value) ? value : [value];
    return { value: list.map(scalarText) };
  }
  if (Array.isArray(value)) {
    // A repeated form key becomes an array; PVE then fails the scalar type check.
    return { error: `type check ('${type}') failed - got ARRAY` };
  }
  if (type === "boolean") {
    if (value === true || value === false) return { value };
    const text = scalarText(value);
    if (text === "1") return { value: true };
    if (text === "0") return { value: false };
    return { error: `type check ('boolean') failed - got '${text}'` };
  }
  const text = scalarText(value);
  if (type === "integer" || type === "number") {
    const ok = type === "integer" ? INTEGER.test(text) : NUMBER.test(text);
    if (!ok) return { error: `type check ('${type}') failed - got '${text}'` };
    const n = Number(text);
    if (prop.minimum !== undefined && n < Number(prop.minimum)) {
      return { error: `value must have a minimum value of ${prop.minimum}` };
    }
    if (prop.maximum !== undefined && n > Number(prop.maximum)) {
      return { error: `value must have a maximum value of ${prop.maximum}` };
    }
    const formatError = typeof prop.format === "string" ? checkFormat(prop.format, text) : undefined;
    if (formatError) return { error: formatError };
    return { value: n };
  }
  // string
  if (prop.minLength !== undefined && text.length < prop.minLength) {
    return { error: `value must be at least ${prop.minLength} characters long` };
  }
  if (prop.maxLength !== undefined && text.length > prop.maxLength) {
    return { error: `value may only be ${prop.maxLength} characters long` };
  }
  if (prop.enum && !prop.enum.includes(text)) {
    return { error: `value '${text}' does not have a value in the enumeration '${prop.enum.join(", ")}'` };
  }
  if (prop.pattern && !new RegExp(`^(?:${perlPattern(prop.pattern)})$`).test(text)) {
    return { error: "value does not match the regex pattern" };
  }
  if (typeof prop.format === "string") {
    const formatError = checkFormat(prop.format, text);
    if (formatError) return { error: formatError };
  } else if (prop.format && typeof prop.format === "object") {
    try {
      parsePropertyString(prop.format, text, path);
    } catch (e) {
      return { error: `invalid format - ${(e as Error).message}` };
    }
  }
  return { value: text };
}

/** Perl's `(?^:...)` embedded-flag groups are not JS syntax; they mean a plain group here. */
function perlPattern(pattern: string): string {
  return pattern.replaceAll("(?^:", "(?:");
}

/** Keys that PVE marks `default_key` (the subset dropped that flag): `local-lvm:8` means volume=... */
const DEFAULT_KEYS = ["volume"];

/**
 * Parses a PVE property string ("name=eth0,bridge=vmbr0,ip=dhcp") like
 * PVE::JSONSchema::parse_property_string, checking each value against its sub-schema.
 */
export function parsePropertyString(
  format: Record<string, PropSchema>,
  data: string,
  path = "",
): Record<string, string> {
  const res: Record<string, string> = {};
  for (const part of data.split(",")) {
    if (/^\s*$/.test(part)) continue;
    const m = /^([^=]+)=(.+)$/.exec(part);
    if (m) {
      const [, k, v] = m as unknown as [string, string, string];
      if (res[k] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${k}\n`);
      if (!format[k]) throw new Error(`invalid key in comma-separated list property: ${k}\n`);
      res[k] = v;
    } else if (!part.includes("=")) {
      const defaultKey = DEFAULT_KEYS.find((k) => format[k]);
      if (!defaultKey) throw new Error("value without key, but schema does not define a default key\n");
      if (res[defaultKey] !== undefined) {
        throw new Error(`duplicate key in comma-separated list property: ${defaultKey}\n`);
      }
      res[defaultKey] = part;
    } else {
      throw new Error("missing key in comma-separated list property\n");
    }
  }
  const lines: string[] = [];
  for (const [k, sub] of Object.entries(format)) {
    const v = res[k];
    if (v === undefined) {
      if (!sub.optional) lines.push(`${path}.${k}: property is missing and it is not optional`);
      continue;
    }
    const checked = checkValue(sub, v, `${path}.${k}`);
    if (checked.error !== undefined) lines.push(`${path}.${k}: ${checked.error.replace(/\n$/, "")}`);
  }
  if (lines.length > 0) throw new Error(`format error\n${lines.join("\n")}\n`);
  return res;
}

function isVmid(s: string): boolean {
  return /^[1-9][0-9]{2,8}$/.test(s);
}

function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** PVE's named formats, with the messages of their verifier functions (JSONSchema.pm). */
function checkFormat(format: string, v: string): string | undefined {
  switch (format) {
    case "pve-vmid":
      return isVmid(v) ? undefined : "invalid format - value does not look like a valid VM ID\n";
    case "pve-vmid-list":
      return v.split(/[,;\s]+/).every((x) => x === "" || isVmid(x))
        ? undefined
        : "invalid format - value does not look like a valid VM ID\n";
    case "pve-node":
      return DNS_LABEL.test(v) ? undefined : "invalid format - value does not look like a valid node name\n";
    case "pve-storage-id":
      return /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v)
        ? undefined
        : `invalid format - storage ID '${v}' contains illegal characters\n`;
    case "dns-name":
      return v.split(".").every((l) => DNS_LABEL.test(l))
        ? undefined
        : "invalid format - value does not look like a valid DNS name\n";
    case "dns-name-list":
      return v.split(/[,;\s]+/).every((n) => n === "" || n.split(".").every((l) => DNS_LABEL.test(l)))
        ? undefined
        : "invalid format - value does not look like a valid DNS name\n";
    case "pve-configid":
      return /^[a-z][a-z0-9_-]+$/i.test(v) ? undefined : `invalid format - invalid configuration ID '${v}'\n`;
    case "pve-configid-list": {
      const bad = v.split(/[,;\s]+/).find((x) => x !== "" && !/^[a-z][a-z0-9_-]+$/i.test(x));
      return bad === undefined ? undefined : `invalid format - invalid configuration ID '${bad}'\n`;
    }
    case "pve-tag-list": {
      const bad = v.split(/[;,\s]+/).find((t) => t !== "" && !/^[a-z0-9_][a-z0-9_\-+.]*$/i.test(t));
      return bad === undefined ? undefined : `invalid format - invalid tag '${bad}'\n`;
    }
    case "ipv4":
      return isIpv4(v) ? undefined : `invalid format - value does not look like a valid IPv4 address\n`;
    case "pve-ipv4-config": {
      if (v === "dhcp" || v === "manual") return undefined;
      const [ip, cidr] = v.split("/");
      return ip && isIpv4(ip) && cidr !== undefined && /^\d+$/.test(cidr) && Number(cidr) <= 32
        ? undefined
        : "invalid format - value does not look like a valid IPv4 address with CIDR\n";
    }
    case "mac-addr":
      return /^[a-f0-9]{2}(:[a-f0-9]{2}){5}$/i.test(v)
        ? undefined
        : "invalid format - value does not look like a valid MAC address\n";
    case "disk-size":
      return /^\d+(\.\d+)?[KMGT]?$/.test(v) ? undefined : `invalid format - unable to parse size '${v}'\n`;
    default:
      return undefined;
  }
}
