/**
 * Compares the database with Proxmox and records what it finds: an app whose container vanished becomes
 * `missing`, an app whose host cannot be reached `unknown`, a container started or stopped outside
 * Proximity has its status corrected. It never deletes anything, and it leaves apps in a transitional state
 * alone (their job owns them). Each change is a Sentry "system event".
 */
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { type Application, type AppStatus, applications } from "../../db/schema.ts";
import { reportMessage, systemEvent } from "../../observability/index.ts";
import type { AppDeps } from "./runtime.ts";
import { settle } from "./status.ts";

const RECONCILED: AppStatus[] = ["running", "stopped", "missing", "unknown"];

/** The columns reconcile reads: every app of a host is loaded, so not its resources or environment. */
type ReconciledApp = Pick<Application, "id" | "hostname" | "status" | "vmid" | "node">;
const RECONCILED_COLUMNS = {
  id: applications.id,
  hostname: applications.hostname,
  status: applications.status,
  vmid: applications.vmid,
  node: applications.node,
};

export interface ReconcileChange {
  app_id: string;
  hostname: string;
  from: AppStatus;
  to: AppStatus;
  reason: string;
}

export interface ReconcileReport {
  hosts: number;
  checked: number;
  changes: ReconcileChange[];
}

export async function reconcile(deps: AppDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { hosts: 0, checked: 0, changes: [] };
  const change = async (
    app: ReconciledApp,
    to: AppStatus,
    reason: string,
    extra: Partial<Application> = {},
  ) => {
    report.changes.push({ app_id: app.id, hostname: app.hostname, from: app.status, to, reason });
    await settle(
      deps.db,
      deps.events,
      app.id,
      to,
      to === "running" || to === "stopped" ? null : reason,
      extra,
    );
    systemEvent(
      `app ${app.hostname}: ${app.status} → ${to}`,
      { app_id: app.id, vmid: app.vmid, reason },
      to === "missing" ? "warning" : "info",
    );
    if (to === "missing")
      reportMessage(`Container of app ${app.hostname} (CT ${app.vmid}) is missing: ${reason}`, "warning");
  };
  for (const host of await deps.hosts.list()) {
    const apps = await deps.db
      .select(RECONCILED_COLUMNS)
      .from(applications)
      .where(
        and(
          eq(applications.hostId, host.id),
          inArray(applications.status, RECONCILED),
          isNotNull(applications.vmid),
        ),
      );
    if (!apps.length) continue;
    report.hosts++;
    report.checked += apps.length;
    let containers: Map<number, { node: string; status: string }>;
    try {
      const client = await deps.hosts.client(host);
      const resources = await client.clusterResources("vm");
      containers = new Map(
        resources
          .filter((r) => r.type === "lxc" && r.vmid !== undefined)
          .map((r) => [Number(r.vmid), { node: String(r.node), status: String(r.status) }]),
      );
    } catch (err) {
      const reason = `Host ${host.name} is unreachable: ${err instanceof Error ? err.message : String(err)}`;
      for (const app of apps) if (app.status !== "unknown") await change(app, "unknown", reason);
      continue;
    }
    for (const app of apps) {
      const ct = containers.get(app.vmid!);
      if (!ct) {
        if (app.status !== "missing") {
          await change(
            app,
            "missing",
            `CT ${app.vmid} no longer exists on ${host.name}; delete the app or restore a backup`,
          );
        }
        continue;
      }
      // `unknown`: the node is offline or pvestatd has no fresh data. Not "stopped": say so, change nothing.
      if (ct.status !== "running" && ct.status !== "stopped") {
        if (app.status !== "unknown") {
          await change(
            app,
            "unknown",
            `CT ${app.vmid} on ${ct.node} reports status "${ct.status}": the node is offline or not reporting`,
          );
        }
        continue;
      }
      const actual: AppStatus = ct.status === "running" ? "running" : "stopped";
      const moved = ct.node !== app.node ? { node: ct.node } : {};
      if (actual !== app.status) {
        const why =
          app.status === "missing" || app.status === "unknown"
            ? `CT ${app.vmid} is back (${ct.status} on ${ct.node})`
            : `CT ${app.vmid} was ${actual === "running" ? "started" : "stopped"} outside Proximity`;
        await change(app, actual, why, moved);
      } else if (moved.node) {
        await deps.db.update(applications).set(moved).where(eq(applications.id, app.id));
      }
    }
  }
  return report;
}
