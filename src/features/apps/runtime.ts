/**
 * What every app job needs: the app row, its Proxmox client and SSH executor, decrypted environment, a
 * deployment log, and small steps shared by several sagas (wait for a task, wait for an address, run a
 * command in the container).
 */
import { eq } from "drizzle-orm";
import { AppServiceError } from "../../core/errors.ts";
import { runtime } from "../../core/runtime/index.ts";
import type { Keys } from "../../crypto/keys.ts";
import { decryptSecret, encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import { type Application, applications, deploymentLogs } from "../../db/schema.ts";
import { jobStep } from "../../observability/index.ts";
import {
  isMissing,
  type PctExecutor,
  type ProxmoxClient,
  ProxmoxError,
  parseEnv,
  type Upid,
  waitForTask,
} from "../../proxmox/index.ts";
import type { JobContext } from "../../queue/define.ts";
import type { EventBus } from "../../queue/events.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import type { CatalogService } from "../catalog/catalog.service.ts";
import {
  appEnvValues,
  parseCompose,
  portScheme,
  renderEnvFile,
  renderOciEnvironment,
} from "../catalog/index.ts";
import type { HostsService } from "../hosts/hosts.service.ts";
import type { SettingsService } from "../settings/settings.service.ts";
import { appUrl, lxcUrl } from "./app-url.ts";
import { probeTcp, waitAnswering, waitHealthy, waitUntil } from "./health.ts";
import type { Notify } from "./notices.ts";
import { type Argv, compose, files, parseComposePs, servicesProblem } from "./provision.ts";
import { type AppTiming, type TaskKind, taskWait } from "./timing.ts";

export interface AppDeps {
  db: Db;
  keys: Keys;
  hosts: HostsService;
  catalog: CatalogService;
  settings: SettingsService;
  events: EventBus;
  audit: AuditService;
  sshPublicKey: string;
  timing: AppTiming;
  /** Sends an event to the channels that want it (the notifications feature provides it). */
  notify: Notify;
  /** Deletes every backup of the app (delete with keep_backups=false); the backups feature provides it. */
  deleteBackups: (run: AppRun) => Promise<number>;
}

/**
 * The job-side view of one app: everything a saga step needs, bound to the job for logging. `S` is the
 * job type's step names, so `run.step("nework", …)` does not compile.
 */
export class AppRun<S extends string = string> {
  constructor(
    readonly deps: AppDeps,
    readonly ctx: JobContext<unknown, S>,
    public app: Application,
    readonly client: ProxmoxClient,
    readonly ssh: PctExecutor,
  ) {}

  static async load<S extends string>(
    deps: AppDeps,
    ctx: JobContext<unknown, S>,
    appId: string,
  ): Promise<AppRun<S>> {
    const [app] = await deps.db.select().from(applications).where(eq(applications.id, appId));
    if (!app)
      throw new AppServiceError("The app no longer exists", { app_id: appId, operation: ctx.job.kind });
    const host = await deps.hosts.get(app.hostId);
    return new AppRun<S>(deps, ctx, app, await deps.hosts.client(host), await deps.hosts.executor(host));
  }

  async reload(): Promise<Application> {
    const [app] = await this.deps.db.select().from(applications).where(eq(applications.id, this.app.id));
    if (app) this.app = app;
    return this.app;
  }

  async update(patch: Partial<typeof applications.$inferInsert>): Promise<void> {
    const [app] = await this.deps.db
      .update(applications)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(applications.id, this.app.id))
      .returning();
    if (app) this.app = app;
  }

  /** A line in the app's deployment log (and on its event stream). */
  async log(message: string, level: "info" | "warn" | "error" = "info", step?: string): Promise<void> {
    await this.deps.db
      .insert(deploymentLogs)
      .values({ appId: this.app.id, jobId: this.ctx.job.id, level, step: step ?? null, message });
    await this.ctx.log(message, level);
  }

  /** A checkpointed, logged saga step. */
  step<T>(name: S, fn: () => Promise<T>): Promise<T> {
    return this.ctx.step(name, async () => {
      jobStep(this.ctx.job.kind, name, { app_id: this.app.id, vmid: this.app.vmid ?? undefined });
      await this.log(`${name}…`, "info", name);
      return fn();
    });
  }

  get node(): string {
    if (!this.app.node) throw new AppServiceError("The app has no node yet", this.errorContext());
    return this.app.node;
  }

  get vmid(): number {
    if (this.app.vmid === null)
      throw new AppServiceError("The app has no container yet", this.errorContext());
    return this.app.vmid;
  }

  errorContext(step?: string) {
    return {
      app_id: this.app.id,
      catalog_id: this.app.catalogId ?? undefined,
      operation: this.ctx.job.kind,
      vmid: this.app.vmid ?? undefined,
      node: this.app.node ?? undefined,
      ...(step ? { step } : {}),
    };
  }

  catalogEntry(): CatalogEntry {
    const entry = this.app.catalogId ? this.deps.catalog.get(this.app.catalogId) : undefined;
    if (!entry) {
      throw new AppServiceError(
        `Catalog app "${this.app.catalogId}" is not in the catalog any more`,
        this.errorContext(),
      );
    }
    return entry;
  }

  /** Waits for a PVE task with the shared policy (timing.ts); a null UPID (nothing started) returns. */
  async waitTask(upid: Upid | null, node = this.node, kind: TaskKind = "container"): Promise<void> {
    if (!upid) return;
    await waitForTask(this.client, node, upid, taskWait(this.deps.timing, kind, this.ctx.signal));
  }

  /**
   * Waits until the container reaches `want`. Needed after every power task: for an HA-managed CT the
   * `hastart`/`hastop` task only submits a request and ends OK before the CT changes state.
   */
  async waitForState(want: "running" | "stopped", node = this.node, vmid = this.vmid): Promise<void> {
    const deadline = Date.now() + this.deps.timing.taskTimeoutMs;
    for (;;) {
      const status = await this.client.lxcStatus(node, vmid);
      if (status.status === want) return;
      if (Date.now() > deadline) {
        throw new AppServiceError(
          `CT ${vmid} is still ${status.status} after ${Math.round(this.deps.timing.taskTimeoutMs / 1000)} s (expected ${want}${status.ha?.managed ? "; it is HA-managed, check the HA manager" : ""})`,
          this.errorContext(),
        );
      }
      await runtime.sleep(this.deps.timing.pollMs);
    }
  }

  /** Starts the container unless it runs, and waits until it does. */
  async startContainer(node = this.node, vmid = this.vmid): Promise<void> {
    const status = await this.client.lxcStatus(node, vmid);
    if (status.status !== "running") await this.waitTask(await this.client.startLxc(node, vmid), node);
    await this.waitForState("running", node, vmid);
  }

  /** Runs a fixed command in the container; a non-zero exit is a permanent failure with the tail of stderr. */
  async exec(argv: Argv, stdin?: string | Uint8Array): Promise<string> {
    const result = await this.ssh.pctExec(this.node, this.vmid, [...argv], {
      ...(stdin === undefined ? {} : { stdin }),
      timeoutMs: this.deps.timing.commandTimeoutMs,
    });
    if (result.exitCode !== 0) {
      const tail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join("\n");
      throw new AppServiceError(
        `\`${argv.slice(0, 3).join(" ")}\` failed in CT ${this.vmid} (exit ${result.exitCode}): ${tail}`,
        this.errorContext(),
      );
    }
    return result.stdout;
  }

  /** Waits for the container's address (waitForAddress) and records it on the app. */
  async recordAddress(): Promise<string> {
    const ip = await this.waitForAddress();
    await this.update({ ip });
    return ip;
  }

  /** Polls the container's interfaces until eth0 has an IPv4 address. */
  async waitForAddress(vmid = this.vmid): Promise<string> {
    const deadline = Date.now() + this.deps.timing.ipTimeoutMs;
    while (Date.now() < deadline) {
      this.ctx.signal.throwIfAborted();
      const ifaces = await this.client.lxcInterfaces(this.node, vmid).catch((err) => {
        if (err instanceof ProxmoxError && err.retryable) return null;
        throw err;
      });
      const eth0 = ifaces?.find((i) => i.name === "eth0");
      const ip = eth0?.inet?.split("/")[0];
      if (ip) return ip;
      await runtime.sleep(this.deps.timing.pollMs);
    }
    throw new AppServiceError(
      `CT ${vmid} got no IPv4 address within ${Math.round(this.deps.timing.ipTimeoutMs / 1000)} s: check the bridge and DHCP on ${this.node}`,
      this.errorContext("network"),
    );
  }

  /**
   * Waits for the container's address and records it, with the URL of the app's primary port. When the
   * address changed (a new DHCP lease, a restore on another network), the app's `.env` carries the old one:
   * it is rewritten and the project brought up again so the app answers under its new address.
   */
  async refreshAddress(): Promise<string | null> {
    const previous = this.app.ip;
    // An adopted container may have no network at all: then there is no address to wait for.
    if (this.app.runtime === "lxc" && !(await this.hasNetwork())) return null;
    const ip = await this.waitForAddress();
    const entry = this.app.catalogId ? this.deps.catalog.get(this.app.catalogId) : undefined;
    await this.update({ ip, url: this.urlAt(ip) });
    if (entry && previous && previous !== ip) {
      if (this.app.runtime === "oci") {
        // An application container reads its environment at start: write it, then start it again.
        await this.log(`The address changed from ${previous} to ${ip}: rewriting env and restarting`, "warn");
        if (await this.writeOciEnv(entry, ip)) {
          await this.stopContainer();
          await this.startContainer();
          const again = await this.waitForAddress();
          await this.update({ ip: again, url: appUrl(entry, again) ?? this.app.url });
          return again;
        }
        return ip;
      }
      await this.log(`The address changed from ${previous} to ${ip}: rewriting .env`, "warn");
      await this.writeEnvFile(entry);
      await this.exec(compose.up);
    }
    return ip;
  }

  /** Whether the container has a network interface (net0, net1, …) in its config. */
  async hasNetwork(): Promise<boolean> {
    const config = await this.client.lxcConfig(this.node, this.vmid);
    return Object.keys(config).some((k) => /^net\d+$/.test(k));
  }

  /** The app's URL at an address: the catalog entry's, or an lxc app's port; else the one it had. */
  urlAt(ip: string): string | null {
    if (this.app.runtime === "lxc") return lxcUrl(this.app.portScheme, ip, this.app.port);
    const entry = this.app.catalogId ? this.deps.catalog.get(this.app.catalogId) : undefined;
    return appUrl(entry, ip) ?? this.app.url;
  }

  /**
   * OCI runtime: merges the app's environment (with `address` for the per-deploy values) over the `env` in
   * the container's config and writes it back when it differs (PVE's `env` replaces the whole list). Returns
   * whether it wrote; on a running container the change waits for the next start. Values are never logged.
   */
  async writeOciEnv(entry: CatalogEntry, address: string, vmid = this.vmid): Promise<boolean> {
    // The applied values, not a pending change: a job resumed after writing but before restarting must
    // still restart.
    const config = await this.client.lxcConfig(this.node, vmid, { current: true });
    const current = parseEnv(config.env);
    const ours = renderOciEnvironment(entry, await this.environment(), {
      address,
      hostname: this.app.hostname,
      publicUrl: this.app.httpsUrl,
    });
    const env = { ...current, ...ours };
    const keys = Object.keys(env);
    const same = keys.length === Object.keys(current).length && keys.every((k) => current[k] === env[k]);
    if (Object.keys(ours).length === 0 || same) return false;
    await this.client.updateLxcConfig(this.node, vmid, { env });
    return true;
  }

  /** The app's `.env`: its values plus the per-deploy ones (address, hostname, URL). Needs the address. */
  async envFile(entry: CatalogEntry): Promise<string> {
    return renderEnvFile(await this.envValues(entry));
  }

  /** The values `.env` holds, by name (template files are filled in with them). Secrets: never log. */
  async envValues(entry: CatalogEntry): Promise<Record<string, string>> {
    if (!this.app.ip) throw new AppServiceError("The app has no address yet", this.errorContext());
    return appEnvValues(entry, await this.environment(), {
      address: this.app.ip,
      hostname: this.app.hostname,
      publicUrl: this.app.httpsUrl,
    });
  }

  /** Writes `.env` (mode 0600) into the container. */
  async writeEnvFile(entry: CatalogEntry): Promise<void> {
    await this.exec(files.writeEnv, await this.envFile(entry));
    await this.exec(files.lockEnv);
  }

  /**
   * The app's own HTTP health check until it passes or times out (an app without a web interface: its
   * containers and port, checkRunning). Adopted apps without a catalog entry have none, and pass. A deploy waits for the first-boot answer; every later operation accepts the
   * set-up answer or the first-boot one (the user may not have finished the app's setup yet).
   */
  async checkHealth(after = "", phase: "first_boot" | "later" = "later", ip = this.app.ip): Promise<void> {
    if (this.app.runtime === "lxc") return this.checkPort(after, ip);
    const entry = this.app.catalogId ? this.deps.catalog.get(this.app.catalogId) : undefined;
    if (!entry || !ip) return;
    if (!entry.healthcheck) return this.checkRunning(entry, after, ip);
    const { port, host, first_boot, later } = entry.healthcheck;
    const requests = phase === "first_boot" ? [first_boot] : [later, first_boot];
    const result = await waitHealthy(
      ip,
      { port, host, requests, scheme: portScheme(entry, port) },
      {
        timeoutMs: this.deps.timing.healthTimeoutMs,
        intervalMs: this.deps.timing.pollMs,
        signal: this.ctx.signal,
      },
    );
    if (!result.ok) {
      throw new AppServiceError(
        `${entry.name} did not become healthy${after} within ${Math.round(this.deps.timing.healthTimeoutMs / 1000)} s (${result.last})`,
        this.errorContext("health"),
      );
    }
  }

  /**
   * The health of an app without a web interface (catalog.schemas.ts `web: false`): its compose services all
   * run and none fails (or is still starting) its image's own health check, then its first TCP port, when it
   * has one, accepts a connection. Under the OCI runtime the app is the container, which the steps before
   * have seen running: its port is what is left to ask.
   */
  async checkRunning(entry: CatalogEntry, after: string, ip: string): Promise<void> {
    const options = {
      timeoutMs: this.deps.timing.healthTimeoutMs,
      intervalMs: this.deps.timing.pollMs,
      signal: this.ctx.signal,
    };
    const seconds = Math.round(this.deps.timing.healthTimeoutMs / 1000);
    if (this.app.runtime === "docker") {
      const expected = Object.keys(parseCompose(entry.compose).services);
      const result = await waitUntil(
        async () => servicesProblem(expected, parseComposePs(await this.exec(compose.ps))),
        options,
      );
      if (!result.ok)
        throw new AppServiceError(
          `${entry.name} did not come up${after} within ${seconds} s (${result.last})`,
          this.errorContext("health"),
        );
    }
    const port = entry.ports.find((p) => p.protocol === "tcp")?.container;
    if (port === undefined) return;
    const result = await waitUntil(() => probeTcp(ip, port, 5_000), options);
    if (!result.ok)
      throw new AppServiceError(
        `${entry.name} did not accept connections on port ${port}${after} within ${seconds} s (${result.last})`,
        this.errorContext("health"),
      );
  }

  /**
   * An lxc app's health: its port answers (any HTTP answer below 500 over http; a TCP connection over
   * https, whose certificate is usually the app's own). Without a port there is nothing to ask: it passes.
   */
  async checkPort(after = "", ip = this.app.ip): Promise<void> {
    const port = this.app.port;
    if (port === null || !ip) return;
    const result = await waitAnswering(ip, port, this.app.portScheme ?? "http", {
      timeoutMs: this.deps.timing.healthTimeoutMs,
      intervalMs: this.deps.timing.pollMs,
      signal: this.ctx.signal,
    });
    if (!result.ok) {
      throw new AppServiceError(
        `${this.app.name} did not answer on port ${port}${after} within ${Math.round(this.deps.timing.healthTimeoutMs / 1000)} s (${result.last})`,
        this.errorContext("health"),
      );
    }
  }

  /** The full environment: stored plain values plus decrypted secrets. */
  async environment(): Promise<Record<string, string>> {
    const secrets = this.app.secretEnvEnc
      ? (JSON.parse(await decryptSecret(this.deps.keys, this.app.secretEnvEnc)) as Record<string, string>)
      : {};
    return { ...this.app.environment, ...secrets };
  }

  /** Shuts the container down if it runs: a clean shutdown first, which PVE turns into a stop after 60 s. */
  async shutdownContainer(vmid = this.vmid): Promise<void> {
    const status = await this.client.lxcStatus(this.node, vmid);
    if (status.status !== "running") return;
    await this.waitTask(await this.client.shutdownLxc(this.node, vmid, { timeout: 60, forceStop: true }));
    await this.waitForState("stopped", this.node, vmid);
  }

  /** Stops the container if it runs (a container that is already stopped or gone is fine). */
  async stopContainer(vmid = this.vmid): Promise<void> {
    const status = await this.client.lxcStatus(this.node, vmid).catch(() => null);
    if (status?.status !== "running") return;
    await this.waitTask(await this.client.stopLxc(this.node, vmid));
    await this.waitForState("stopped", this.node, vmid);
  }

  /**
   * Destroys the container with purge. A container that no longer exists is not an error: the goal
   * ("no such container") is reached either way.
   */
  async destroyContainer(node = this.node, vmid = this.vmid): Promise<void> {
    const exists = await this.client.lxcConfig(node, vmid).then(
      () => true,
      (err) => {
        if (isMissing(err)) return false;
        throw err;
      },
    );
    if (!exists) return;
    const status = await this.client.lxcStatus(node, vmid).catch(() => null);
    if (status?.status === "running") {
      await this.waitTask(await this.client.stopLxc(node, vmid), node);
      await this.waitForState("stopped", node, vmid);
    }
    await this.waitTask(
      await this.client.deleteLxc(node, vmid, { purge: true, destroyUnreferencedDisks: true, force: true }),
      node,
    );
  }
}

/** Splits an environment into stored-plain and encrypted-secret parts, per the catalog's `secret` flags. */
export async function splitEnvironment(
  keys: Keys,
  entry: CatalogEntry,
  env: Record<string, string>,
): Promise<{ environment: Record<string, string>; secretEnvEnc: string | null }> {
  const secretNames = new Set(entry.env.filter((e) => e.secret).map((e) => e.name));
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) (secretNames.has(k) ? secret : plain)[k] = v;
  return {
    environment: plain,
    secretEnvEnc: Object.keys(secret).length ? await encryptSecret(keys, JSON.stringify(secret)) : null,
  };
}

/** A root password for a new container: 24 URL-safe random characters. */
export function randomPassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
}
