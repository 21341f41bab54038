/**
 * A privilege-separated API token's permissions, checked the way PVE's RPCEnvironment does: privileges
 * propagate down the ACL tree and the most specific path with an entry wins; a missing privilege is a
 * 403 "Permission check failed (<path>, <privs>)". The declarative checks come from the schema subset
 * (`permissions.check`); handlers add the ones PVE performs in code (create, vzdump, listings).
 */
import type { Call, Sim } from "./context.ts";
import { PveError } from "./errors.ts";
import type { Params } from "./params.ts";

/** Every privilege of PVE 9 (pve-access-control AccessControl.pm); 8.4 also had VM.Monitor. */
export const PRIVILEGES_9 = [
  "Datastore.Allocate",
  "Datastore.AllocateSpace",
  "Datastore.AllocateTemplate",
  "Datastore.Audit",
  "Group.Allocate",
  "Mapping.Audit",
  "Mapping.Modify",
  "Mapping.Use",
  "Permissions.Modify",
  "Pool.Allocate",
  "Pool.Audit",
  "Realm.Allocate",
  "Realm.AllocateUser",
  "SDN.Allocate",
  "SDN.Audit",
  "SDN.Use",
  "Sys.AccessNetwork",
  "Sys.Audit",
  "Sys.Console",
  "Sys.Incoming",
  "Sys.Modify",
  "Sys.PowerMgmt",
  "Sys.Syslog",
  "User.Modify",
  "VM.Allocate",
  "VM.Audit",
  "VM.Backup",
  "VM.Clone",
  "VM.Config.CDROM",
  "VM.Config.CPU",
  "VM.Config.Cloudinit",
  "VM.Config.Disk",
  "VM.Config.HWType",
  "VM.Config.Memory",
  "VM.Config.Network",
  "VM.Config.Options",
  "VM.Console",
  "VM.GuestAgent.Audit",
  "VM.GuestAgent.FileRead",
  "VM.GuestAgent.FileSystemMgmt",
  "VM.GuestAgent.FileWrite",
  "VM.GuestAgent.Unrestricted",
  "VM.Migrate",
  "VM.PowerMgmt",
  "VM.Replicate",
  "VM.Snapshot",
  "VM.Snapshot.Rollback",
];

export function allPrivileges(major: 8 | 9): string[] {
  if (major >= 9) return PRIVILEGES_9;
  return [
    ...PRIVILEGES_9.filter((p) => !p.startsWith("VM.GuestAgent.") && p !== "VM.Replicate"),
    "VM.Monitor",
  ].sort();
}

/** Parses `{ "/": ["Sys.Audit"], "/vms": [...] }`, refusing privileges this release does not know. */
export function parseAcl(input: Record<string, string[]>, major: 8 | 9): Map<string, Set<string>> {
  const known = new Set(allPrivileges(major));
  const acl = new Map<string, Set<string>>();
  for (const [path, privs] of Object.entries(input)) {
    if (!path.startsWith("/")) throw new Error(`invalid ACL path '${path}'`);
    for (const p of privs) if (!known.has(p)) throw new Error(`invalid privilege '${p}'`);
    acl.set(path.length > 1 ? path.replace(/\/+$/, "") : path, new Set(privs));
  }
  return acl;
}

/** The privileges effective on `path`: the nearest ACL entry on the way up to "/". */
export function effectivePrivs(sim: Sim, authid: string, path: string): Set<string> {
  if (!restricted(sim, authid)) return new Set(allPrivileges(sim.pve.major));
  const acl = sim.tokenAcl!;
  let p = path.length > 1 ? path.replace(/\/+$/, "") : path;
  for (;;) {
    const hit = acl.get(p);
    if (hit) return hit;
    if (p === "/") return new Set();
    p = p.slice(0, p.lastIndexOf("/")) || "/";
  }
}

function restricted(sim: Sim, authid: string): boolean {
  return sim.tokenAcl !== undefined && authid.includes("!");
}

export function hasPriv(call: Call, path: string, privs: string[], any = false): boolean {
  const have = effectivePrivs(call.sim, call.authid, path);
  return any ? privs.some((p) => have.has(p)) : privs.every((p) => have.has(p));
}

export function requirePriv(call: Call, path: string, privs: string[], any = false): void {
  if (hasPriv(call, path, privs, any)) return;
  const missing = any
    ? privs.join("|")
    : privs.filter((p) => !effectivePrivs(call.sim, call.authid, path).has(p))[0];
  throw new PveError(403, `Permission check failed (${path}, ${missing})`);
}

type Check = unknown[];

function fillPath(template: string, p: Params): string | undefined {
  let missing = false;
  const path = template.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (p[k] === undefined) missing = true;
    return String(p[k]);
  });
  return missing ? undefined : path;
}

/** Evaluates a schema `permissions.check` ("perm", "and", "or"); throws the 403 of the first failure. */
export function evaluateCheck(call: Call, check: Check): void {
  const [kind, ...rest] = check;
  if (kind === "perm") {
    const [template, privs, ...opts] = rest as [string, string[], ...unknown[]];
    const needParam = opts.indexOf("require_param");
    if (needParam >= 0 && call.p[String(opts[needParam + 1])] === undefined) {
      throw new PveError(403, "Permission check failed");
    }
    const path = fillPath(template, call.p);
    if (!path) throw new PveError(403, "Permission check failed");
    requirePriv(call, path, privs, opts.includes("any"));
    return;
  }
  if (kind === "and") {
    for (const c of rest as Check[]) evaluateCheck(call, c);
    return;
  }
  if (kind === "or") {
    let first: unknown;
    for (const c of rest as Check[]) {
      try {
        evaluateCheck(call, c);
        return;
      } catch (e) {
        first ??= e;
      }
    }
    throw first;
  }
}

/** GET /access/permissions: path → { privilege: 1 (propagate) }. */
export function permissionsOf(
  sim: Sim,
  authid: string,
  path?: string,
): Record<string, Record<string, number>> {
  const toObj = (s: Set<string>) => Object.fromEntries([...s].sort().map((p) => [p, 1]));
  if (path !== undefined) return { [path]: toObj(effectivePrivs(sim, authid, path)) };
  if (!restricted(sim, authid)) return { "/": toObj(new Set(allPrivileges(sim.pve.major))) };
  return Object.fromEntries([...sim.tokenAcl!].map(([p, s]) => [p, toObj(s)]));
}
