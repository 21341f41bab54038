/**
 * How parameters travel to PVE: form/query encoding with booleans as 1/0 (PVE rejects "true"), arrays as
 * repeated keys, and PVE "property strings" (net0=name=eth0,bridge=vmbr0) built from typed objects.
 */
import type {
  LxcFeatures,
  LxcMountPoint,
  LxcNetConfig,
  LxcRootfs,
  LxcStartup,
  PruneBackups,
} from "./types.ts";

/** A parameter value as the client holds it before encoding. */
export type ParamValue = string | number | boolean | readonly string[] | undefined;
export type Params = Record<string, ParamValue>;

/** Encodes into URLSearchParams; undefined values are skipped, so optional inputs are simply absent. */
export function encodeParams(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (typeof value === "boolean") out.append(key, value ? "1" : "0");
    else if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new TypeError(`parameter ${key} is not a finite number`);
      out.append(key, String(value));
    } else if (typeof value === "string") out.append(key, value);
    else for (const item of value) out.append(key, item);
  }
  return out;
}

/**
 * Fills a path template ("/nodes/{node}/lxc/{vmid}") with URL-encoded values. Every placeholder must be
 * provided: a missing one is a programming error, not something to send.
 */
export function buildPath(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{([a-z]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === "") throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

// ---------------------------------------------------------------- property strings

/**
 * A value inside a property string must not be able to add keys: no ",", "=", whitespace control chars.
 * (PVE would otherwise parse "vmbr0,firewall=0" as two keys.)
 */
function propValue(key: string, value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  const text = String(value);
  if (text === "" || /[,=\s]/.test(text))
    throw new TypeError(`invalid value for ${key}: ${JSON.stringify(text)}`);
  return text;
}

function propString(entries: [string, string | number | boolean | undefined][]): string {
  return entries
    .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${propValue(k, v)}`)
    .join(",");
}

export function formatNet(net: LxcNetConfig): string {
  return propString([
    ["name", net.name],
    ["bridge", net.bridge],
    ["hwaddr", net.hwaddr],
    ["ip", net.ip],
    ["gw", net.gw],
    ["ip6", net.ip6],
    ["gw6", net.gw6],
    ["firewall", net.firewall],
    ["host-managed", net.hostManaged],
    ["tag", net.tag],
    ["mtu", net.mtu],
    ["rate", net.rate],
    ["link_down", net.linkDown],
    ["trunks", net.trunks?.map((t) => String(Math.trunc(t))).join(";")],
    ["type", net.type],
  ]);
}

/** PVE's `env` value rule: `\w+=` then no control characters except 0x09–0x0F. */
const ENV_KEY = /^\w+$/;
/** A character PVE's `env`/`entrypoint` patterns refuse: 0x00–0x08, 0x10–0x1F or 0x7F. */
function hasRefusedControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x08 || (c >= 0x10 && c <= 0x1f) || c === 0x7f) return true;
  }
  return false;
}

/** `env` (PVE 9.1+): `KEY=value` items joined by NUL. Order is kept; an empty map is refused. */
export function formatEnv(env: Record<string, string>): string {
  const entries = Object.entries(env);
  if (entries.length === 0)
    throw new TypeError("env needs at least one variable (remove it with delete: ['env'])");
  return entries
    .map(([k, v]) => {
      if (!ENV_KEY.test(k)) throw new TypeError(`invalid environment variable name ${JSON.stringify(k)}`);
      if (hasRefusedControl(v)) throw new TypeError(`environment variable ${k} contains a control character`);
      return `${k}=${v}`;
    })
    .join("\0");
}

/** The config's `env` back into a map (later duplicates win, as in a process environment). */
export function parseEnv(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const item of text.split("\0")) {
    const i = item.indexOf("=");
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** `entrypoint` (PVE 9.1+): a command line without control characters other than 0x09–0x0F. */
export function assertEntrypoint(entrypoint: string): string {
  if (entrypoint.length === 0 || hasRefusedControl(entrypoint)) {
    throw new TypeError("entrypoint must be a non-empty command line without control characters");
  }
  return entrypoint;
}

export function formatFeatures(f: LxcFeatures): string {
  return propString([
    ["nesting", f.nesting],
    ["keyctl", f.keyctl],
    ["fuse", f.fuse],
    ["mknod", f.mknod],
    ["force_rw_sys", f.forceRwSys],
    ["mount", f.mount?.join(";")],
  ]);
}

/** `local-lvm:8` for a new 8 GiB volume; `volume=…,size=…` for an existing one. */
export function formatRootfs(r: LxcRootfs): string {
  const head =
    "storage" in r
      ? `${propValue("storage", r.storage)}:${positiveInt("sizeGb", r.sizeGb)}`
      : `volume=${propValue("volume", r.volume)}`;
  const rest = propString([
    ["size", "volume" in r ? r.size : undefined],
    ["acl", r.acl],
    ["quota", r.quota],
    ["ro", r.ro],
    ["mountoptions", r.mountoptions?.join(";")],
  ]);
  return rest ? `${head},${rest}` : head;
}

export function formatMountPoint(m: LxcMountPoint): string {
  return `${formatRootfs(m)},${propString([
    ["mp", m.mp],
    ["backup", m.backup],
  ])}`;
}

export function formatStartup(s: LxcStartup): string {
  return propString([
    ["order", s.order],
    ["up", s.up],
    ["down", s.down],
  ]);
}

export function formatPruneBackups(p: PruneBackups): string {
  return propString([
    ["keep-all", p.keepAll],
    ["keep-last", p.keepLast],
    ["keep-hourly", p.keepHourly],
    ["keep-daily", p.keepDaily],
    ["keep-weekly", p.keepWeekly],
    ["keep-monthly", p.keepMonthly],
    ["keep-yearly", p.keepYearly],
  ]);
}

/** Expands {0: net, 1: net} into net0, net1 (PVE's indexed keys `net[n]`). */
export function indexed<T>(
  prefix: string,
  entries: Record<number, T> | undefined,
  format: (v: T) => string,
): Params {
  const out: Params = {};
  if (!entries) return out;
  for (const [index, value] of Object.entries(entries)) {
    out[`${prefix}${positiveInt(`${prefix} index`, Number(index), 0)}`] = format(value as T);
  }
  return out;
}

function positiveInt(name: string, n: number, min = 1): number {
  if (!Number.isInteger(n) || n < min) throw new TypeError(`${name} must be an integer ≥ ${min}`);
  return n;
}
