/**
 * The service container: built once at start (or per test) and handed to createApp. Routes reach services
 * through `c.get("services")`; services get their collaborators here, never by importing singletons.
 */

import { join } from "node:path";
import type { Config } from "../core/config.ts";
import type { Keys } from "../crypto/keys.ts";
import { PasswordHasher } from "../crypto/passwords.ts";
import type { Database } from "../db/connect.ts";
import { AccessService } from "../features/access/access.service.ts";
import type { DnsChallengeOptions } from "../features/access/dns-certificate.ts";
import { GateTokens } from "../features/access/gate.ts";
import { ProxyDriver } from "../features/access/proxy.ts";
import { AppsService } from "../features/apps/apps.service.ts";
import { AppContainersService } from "../features/apps/containers.service.ts";
import { loadOrCreateSshKeyPair } from "../features/apps/ssh-keypair.ts";
import { type AppTiming, DEFAULT_TIMING } from "../features/apps/timing.ts";
import { UpdatesService } from "../features/apps/updates.service.ts";
import { HealthWatcher, type WatcherOptions } from "../features/apps/watch.ts";
import { AuditService } from "../features/audit/audit.service.ts";
import { AuthService } from "../features/auth/auth.service.ts";
import { BackupsService } from "../features/backups/backups.service.ts";
import { deleteAppBackups } from "../features/backups/index.ts";
import { BackupScheduler } from "../features/backups/scheduler.ts";
import { CatalogService } from "../features/catalog/catalog.service.ts";
import { SourcesService } from "../features/catalog/sources/sources.service.ts";
import { HostsService, type HostsServiceOptions } from "../features/hosts/hosts.service.ts";
import { JobsService } from "../features/jobs/jobs.service.ts";
import { Metrics } from "../features/metrics/metrics.ts";
import {
  type NotificationsDeps,
  NotificationsService,
} from "../features/notifications/notifications.service.ts";
import { storageSetting } from "../features/settings/settings.schemas.ts";
import { SettingsService } from "../features/settings/settings.service.ts";
import { UsersService } from "../features/users/users.service.ts";
import { captureError, runJob } from "../observability/index.ts";
import { createEventBus, type EventBus } from "../queue/events.ts";
import { JobQueue, type QueueOptions } from "../queue/queue.ts";
import { jobImplementations, registerJobs } from "./jobs.ts";

/** Built whole by buildServices and never changed afterwards (every field is readonly). */
export interface Services {
  readonly config: Config;
  readonly database: Database;
  readonly keys: Keys;
  readonly audit: AuditService;
  readonly settings: SettingsService;
  readonly users: UsersService;
  readonly auth: AuthService;
  readonly hosts: HostsService;
  readonly catalog: CatalogService;
  /** Third-party stores the catalog imports (their entries are put into `catalog`). */
  readonly sources: SourcesService;
  readonly events: EventBus;
  readonly jobs: JobQueue;
  /** Jobs as people see them (the /jobs routes, the web's progress panel). */
  readonly jobRecords: JobsService;
  readonly apps: AppsService;
  /** Live container reads (stats, container logs) and discover/adopt. */
  readonly appContainers: AppContainersService;
  readonly backups: BackupsService;
  /** Watches running apps and hosts (app.down/app.up, host.unreachable, host.storage_low); one instance at a time. */
  readonly watcher: HealthWatcher;
  /** Notification channels, subscriptions, and dispatch of events to them. */
  readonly notifications: NotificationsService;
  /** Update policies and history; its tick sends update.available and starts automatic updates. */
  readonly updates: UpdatesService;
  /** Enqueues scheduled backups; started and stopped with the worker. */
  readonly backupScheduler: BackupScheduler;
  readonly metrics: Metrics;
  /** HTTPS names through the managed proxy (features/access); follows app changes while the worker runs. */
  readonly access: AccessService;
  /** Ids of the apps a user owns (authorisation of jobs and events). */
  readonly ownedAppIds: (userId: string) => Promise<string[]>;
  /** The job worker when this instance runs one (started by boot/server.ts); /ready reports it. */
  readonly worker: JobQueue | undefined;
  /** True when the built-in simulated cluster is in use. */
  readonly demoMode: boolean;
}

export interface BuildOptions {
  hosts?: HostsServiceOptions;
  jobs?: QueueOptions;
  /** Timeouts and poll intervals of app jobs (tests against a fast simulator shorten them). */
  timing?: Partial<AppTiming>;
  /** This instance runs the job worker and the backup scheduler (the server does; most tests do not). */
  runsWorker?: boolean;
  /** The built-in simulated cluster is in use (decided before the services are built: boot/demo.ts). */
  demoMode?: boolean;
  /** Health watching's tick, lease and concurrency (tests and the bench shorten them). */
  watcher?: WatcherOptions;
  /** Sender options of notification channels (tests trust their SMTP server's CA). */
  notifications?: Pick<NotificationsDeps, "send">;
  /** "Now" for backup schedules (tests pass a clock they move). */
  clock?: () => Date;
  /** PEM files the proxy's ACME client trusts for the directory's TLS (tests against Pebble). */
  acmeTrustedRoots?: string[];
  /** DNS-01's Cloudflare API and DNS servers (tests: a fake API and pebble-challtestsrv). */
  dnsChallenge?: DnsChallengeOptions;
}

export function buildServices(
  config: Config,
  database: Database,
  keys: Keys,
  options: BuildOptions = {},
): Services {
  const db = database.db;
  const hasher = new PasswordHasher(config.PASSWORD_HASH_MEMORY_KIB, {
    concurrency: config.PASSWORD_HASH_CONCURRENCY,
    queueLimit: config.PASSWORD_HASH_QUEUE,
  });
  const audit = new AuditService(db);
  const settings = new SettingsService(db, audit);
  const users = new UsersService(db, hasher, audit, settings);
  // Before the services that use it: authenticated sessions are cached until its auth.changed events.
  const events = createEventBus(database);
  const auth = new AuthService(db, keys, hasher, users, audit, Date.now, events);
  const metrics = new Metrics(db, { version: config.version });
  // Proxmox calls feed the metrics as well as whatever observers the caller passed (the Sentry layer).
  const given = options.hosts?.observers;
  const hosts = new HostsService(db, keys, audit, {
    preflightSettings: async () => {
      const s = await settings.get();
      return {
        bridge: s.network.bridge,
        storage: {
          rootfs: storageSetting(s, "rootfs"),
          templates: storageSetting(s, "templates"),
          backups: storageSetting(s, "backups"),
        },
      };
    },
    ...options.hosts,
    observers: {
      ...given,
      onCall: (info) => {
        metrics.observeProxmoxCall(info);
        given?.onCall?.(info);
      },
    },
  });
  const catalog = new CatalogService({ operatorDir: join(config.dataDir, "catalog"), audit });
  const jobs = new JobQueue(db, events, {
    // Each job runs in its own Sentry scope and transaction (`job <kind>`); a job that fails for good is
    // captured once, with the app and operation it concerns.
    wrap: (job, fn) =>
      runJob(job.kind, { job_id: job.id, app_id: job.appId ?? undefined, operation: job.kind }, fn, {
        capture: false,
      }),
    onFailed: (_job, err) => {
      captureError(err, { mechanism: "job", handled: true });
    },
    ...options.jobs,
  });
  const notifications = new NotificationsService({ db, keys, jobs, audit, ...options.notifications });
  const appDeps = {
    db,
    keys,
    hosts,
    catalog,
    settings,
    events,
    audit,
    sshPublicKey: loadOrCreateSshKeyPair(config.dataDir).publicKey,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    deleteBackups: deleteAppBackups,
    notify: notifications.notify,
  };
  // Start-up stops here, naming the kind, when a job type that can be enqueued has no implementation.
  registerJobs(
    jobs.registry,
    // The access service is built below; its job only runs once the worker starts.
    jobImplementations(appDeps, notifications, () => access),
  );
  const apps = new AppsService(appDeps, jobs);
  const appContainers = new AppContainersService(appDeps, apps);
  const clock = options.clock ?? (() => new Date());
  const backupScheduler = new BackupScheduler(db, jobs, clock);
  const backups = new BackupsService(appDeps, jobs, apps, clock, () => backupScheduler.wake());
  const watcher = new HealthWatcher(
    {
      db,
      hosts,
      catalog,
      settings,
      notify: notifications.notify,
      events,
      instanceId: `${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
      ...(options.clock ? { clock: options.clock } : {}),
    },
    options.watcher,
  );
  const access = new AccessService({
    db,
    apps,
    catalog,
    audit,
    events,
    driver: new ProxyDriver(hosts, appDeps.timing.commandTimeoutMs),
    gate: new GateTokens(keys.jwt),
    publicUrl: config.PUBLIC_URL,
    keys,
    jobs,
    ...(options.acmeTrustedRoots ? { acmeTrustedRoots: options.acmeTrustedRoots } : {}),
    ...(options.dnsChallenge ? { dnsChallenge: options.dnsChallenge } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const updates = new UpdatesService({
    db,
    jobs,
    apps,
    catalog,
    audit,
    notify: appDeps.notify,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    config,
    database,
    keys,
    audit,
    settings,
    users,
    auth,
    hosts,
    catalog,
    sources: new SourcesService(db, catalog, audit, settings),
    events,
    jobs,
    jobRecords: new JobsService(db),
    apps,
    appContainers,
    backups,
    backupScheduler,
    updates,
    watcher,
    notifications,
    metrics,
    access,
    ownedAppIds: (userId) => apps.ownedAppIds(userId),
    worker: options.runsWorker ? jobs : undefined,
    demoMode: options.demoMode ?? false,
  };
}
