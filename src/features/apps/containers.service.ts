/**
 * Apps as their containers are right now: live reads from Proxmox (status and history, the app's own
 * output) and the containers Proximity does not manage yet (discover, adopt). Authorisation is the apps
 * service's: a user only reaches their own apps.
 */
import { AppError, ConflictError } from "../../core/errors.ts";
import type { AuthUser, UserActor } from "../../core/identity.ts";
import type { Application } from "../../db/schema.ts";
import { isMissing } from "../../proxmox/index.ts";
import { type AdoptInput, adopt, discover } from "./adoption.ts";
import type { AppsService } from "./apps.service.ts";
import { compose } from "./provision.ts";
import type { AppDeps } from "./runtime.ts";

/**
 * Why an oci app has no container logs here. Its program writes to the container's console (PVE sets
 * `cmode: console` for an image with its own entrypoint), and PVE offers that console only interactively:
 * the console in its web interface (termproxy/vncproxy) or `pct console`, both `lxc-console -t 0`, live, from
 * the moment one attaches, and one viewer at a time. No API call returns past output. LXC could keep it (an
 * in-memory ring buffer, `lxc.console.buffer.size`, off by default, or `lxc.console.logfile`), but PVE's
 * config accepts no buffer key at all and the log file only as a raw key root writes into the config file
 * by hand, without a size limit; neither is something Proximity should change behind the operator's back.
 */
export function ociLogsUnavailable(node: string, vmid: number): string {
  return (
    "Container logs are not available for apps with the oci runtime: Proxmox VE has no API that returns an " +
    "application container's output. The app writes to the container's console, which PVE shows only live " +
    `and interactively: open CT ${vmid} on node ${node} → Console in the Proxmox VE web interface, or run ` +
    `\`pct console ${vmid}\` on ${node} (it shows output from the moment you attach, not earlier lines)`
  );
}

/**
 * An adopted container runs whatever its maker installed, logging wherever that writes (the journal, files):
 * Proximity has no one place to read it from, so it does not guess.
 */
export const LXC_LOGS_UNAVAILABLE =
  "Container logs are only available for apps Proximity installed: an adopted container's app logs wherever it was set up to (often the journal inside the container: journalctl, after pct enter on its node)";

export class AppContainersService {
  constructor(
    private readonly deps: AppDeps,
    private readonly apps: AppsService,
  ) {}

  private get db() {
    return this.deps.db;
  }

  private get(user: AuthUser, id: string): Promise<Application> {
    return this.apps.get(user, id);
  }

  async containerLogs(user: AuthUser, id: string, tail: number): Promise<string> {
    const app = await this.get(user, id);
    // Never available for an oci app, whatever its state: say so first, and where its output can be seen.
    if (app.runtime === "oci" && app.node !== null && app.vmid !== null)
      throw new ConflictError(ociLogsUnavailable(app.node, app.vmid));
    if (app.runtime === "lxc") throw new ConflictError(LXC_LOGS_UNAVAILABLE);
    if (app.status !== "running" || app.node === null || app.vmid === null) {
      throw new ConflictError(`The app is ${app.status}; container logs are only available while it runs`);
    }
    const ssh = await this.deps.hosts.executor(app.hostId);
    const result = await ssh.pctExec(app.node, app.vmid, [...compose.logs(tail)], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) {
      throw new AppError(
        "PROXMOX_ERROR",
        `docker compose logs failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`,
      );
    }
    return result.stdout;
  }

  async stats(user: AuthUser, id: string) {
    const app = await this.get(user, id);
    if (app.node === null || app.vmid === null)
      throw new ConflictError(`The app is ${app.status} and has no container`);
    const client = await this.deps.hosts.client(app.hostId);
    const [status, rrd] = await Promise.all([
      client.lxcStatus(app.node, app.vmid),
      client.lxcRrddata(app.node, app.vmid, "hour"),
    ]);
    return {
      status: status.status,
      uptime: status.uptime ?? 0,
      cpu: { usage: status.cpu ?? 0, cores: status.cpus ?? app.resources.cores },
      memory: { used: status.mem ?? 0, total: status.maxmem ?? app.resources.memory_mb * 1024 * 1024 },
      disk: { used: status.disk ?? 0, total: status.maxdisk ?? app.resources.disk_gb * 1024 ** 3 },
      network: { in: status.netin ?? 0, out: status.netout ?? 0 },
      history: rrd.map((p) => ({
        time: p.time,
        cpu: p.cpu ?? null,
        mem: p.mem ?? null,
        netin: p.netin ?? null,
        netout: p.netout ?? null,
      })),
    };
  }

  /** Containers on a host's nodes that no app row knows about, each with a suggestion (adoption.ts). */
  discover(hostId: string) {
    return discover(this.deps, hostId);
  }

  /** Records a container as an app; the container itself is only read (adoption.ts). */
  adopt(req: UserActor, input: AdoptInput): Promise<Application> {
    return adopt(this.deps, req, input);
  }

  /** CPU (fraction of the container's cores), memory and network rates over the last hour or day. */
  async usageHistory(user: AuthUser, id: string, timeframe: "hour" | "day") {
    const app = await this.get(user, id);
    if (app.node === null || app.vmid === null)
      throw new ConflictError(`The app is ${app.status} and has no container`);
    const client = await this.deps.hosts.client(app.hostId);
    // A container removed a moment ago (a failed install's compensation, a delete in progress) has no history
    // left; the page asked while the row still named it. That is "no data", not an error to show.
    const rrd = await client.lxcRrddata(app.node, app.vmid, timeframe).catch((err: unknown) => {
      if (isMissing(err)) return [];
      throw err;
    });
    return rrd.map((p) => ({
      time: p.time,
      cpu: p.cpu ?? null,
      mem: p.mem ?? null,
      netin: p.netin ?? null,
      netout: p.netout ?? null,
    }));
  }
}
