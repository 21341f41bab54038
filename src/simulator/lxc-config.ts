/**
 * How PVE stores and prints a container's config: property strings (rootfs, net[n]), normalised
 * tags, descriptions read back with a trailing newline, the SHA-1 `digest`, and the live status
 * object of `vmstatus`.
 */
import { createHash } from "node:crypto";
import type { Cluster, Container, LxcConfig } from "./cluster.ts";
import { GIB, MIB } from "./cluster.ts";
import { guestMemory } from "./memory.ts";

/** GuestHelpers.pm get_unique_tags: lower-cased, de-duplicated, sorted, joined by ';'. */
export function normaliseTags(tags: string): string {
  return [
    ...new Set(
      tags
        .split(/[;,\s]+/)
        .filter(Boolean)
        .map((t) => t.toLowerCase()),
    ),
  ]
    .sort()
    .join(";");
}

/** Property string → ordered map ("name=eth0,bridge=vmbr0"). A key-less part is the default key. */
export function parseProps(s: string, defaultKey = "volume"): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(",")) {
    if (!part) continue;
    const i = part.indexOf("=");
    if (i < 0) out.set(defaultKey, part);
    else out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

/** PVE prints `name` (nets) or the volume (disks) first, then the other keys sorted. */
export function printProps(m: Map<string, string>, first: string): string {
  const keys = [...m.keys()].filter((k) => k !== first).sort();
  const parts = m.has(first) ? [first === "volume" ? m.get(first)! : `${first}=${m.get(first)}`] : [];
  for (const k of keys) parts.push(`${k}=${m.get(k)}`);
  return parts.join(",");
}

/** "8G", "512M", "+2G", or a bare number of GiB (rootfs=local-lvm:8) → bytes. */
export function parseSize(s: string, bareUnit = GIB): number {
  const m = /^\+?(\d+(?:\.\d+)?)([KMGT])?$/.exec(s);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = { K: 1024, M: MIB, G: GIB, T: GIB * 1024 }[m[2] ?? ""] ?? bareUnit;
  return Math.round(n * unit);
}

/** Bytes → PVE's size text ("8G", "512M"). */
export function formatSize(bytes: number): string {
  if (bytes % (GIB * 1024) === 0) return `${bytes / (GIB * 1024)}T`;
  if (bytes % GIB === 0) return `${bytes / GIB}G`;
  if (bytes % MIB === 0) return `${bytes / MIB}M`;
  return `${Math.ceil(bytes / 1024)}K`;
}

export function rootfsSize(config: LxcConfig): number {
  const rootfs = config.rootfs;
  if (typeof rootfs !== "string") return 0;
  return parseSize(parseProps(rootfs).get("size") ?? "0");
}

export function rootfsVolid(config: LxcConfig): string | undefined {
  const rootfs = config.rootfs;
  return typeof rootfs === "string" ? parseProps(rootfs).get("volume") : undefined;
}

/** Network keys present in a config (net0, net1, ...). */
export function netKeys(config: LxcConfig): string[] {
  return Object.keys(config)
    .filter((k) => /^net\d+$/.test(k))
    .sort();
}

/** The order PVE writes config keys: plain keys sorted, description first, as `pct config` shows. */
export function configForOutput(config: LxcConfig): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const k of Object.keys(config).sort()) {
    const v = config[k]!;
    out[k] = k === "description" ? `${String(v).replace(/\n$/, "")}\n` : v;
  }
  out.digest = configDigest(config);
  return out;
}

export function configDigest(config: LxcConfig): string {
  const text = Object.keys(config)
    .sort()
    .map((k) => `${k}: ${config[k]}`)
    .join("\n");
  return createHash("sha1").update(text).digest("hex");
}

/** Simulated resource usage of a running container (memory: memory.ts). */
function usage(ct: Container) {
  const maxmem = Number(ct.config.memory ?? 512) * MIB;
  const running = ct.status === "running";
  const services = [...ct.guest.projects.values()].reduce(
    (n, p) => n + [...p.services.values()].filter((s) => s.state === "running").length,
    0,
  );
  const fileBytes = [...ct.guest.files.values()].reduce((n, f) => n + f.data.length, 0);
  return {
    mem: running ? Math.min(maxmem, guestMemory(ct.guest)) : 0,
    disk: running
      ? 420 * MIB + fileBytes + (ct.guest.dockerInstalled ? 180 * MIB : 0) + services * 90 * MIB
      : 0,
    cpu: running ? 0.002 + services * 0.004 : 0,
  };
}

/** The object vmstatus builds for `/lxc` and `status/current` (live, not from RRD). */
export function lxcStatus(cluster: Cluster, ct: Container): Record<string, unknown> {
  const u = usage(ct);
  const running = ct.status === "running";
  const uptime = running && ct.startedAt ? Math.max(0, cluster.clock.now() - ct.startedAt) : 0;
  const out: Record<string, unknown> = {
    vmid: ct.vmid,
    type: "lxc",
    status: ct.status,
    name: String(ct.config.hostname ?? `CT${ct.vmid}`),
    cpus: Number(ct.config.cores ?? cluster.node(ct.node).cpus),
    cpu: u.cpu,
    maxmem: Number(ct.config.memory ?? 512) * MIB,
    mem: u.mem,
    maxswap: Number(ct.config.swap ?? 512) * MIB,
    swap: 0,
    maxdisk: rootfsSize(ct.config),
    disk: u.disk,
    netin: running ? uptime * 1200 : 0,
    netout: running ? uptime * 800 : 0,
    diskread: running ? 52 * MIB : 0,
    diskwrite: running ? uptime * 4096 : 0,
    uptime,
  };
  if (ct.config.tags) out.tags = ct.config.tags;
  if (ct.config.lock) out.lock = ct.config.lock;
  if (ct.config.template) out.template = 1;
  if (running && ct.pid) out.pid = ct.pid;
  return out;
}
