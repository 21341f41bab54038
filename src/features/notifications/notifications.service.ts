/**
 * Notification channels (administrators make them; secrets encrypted with crypto/secrets and never
 * returned), users' subscriptions for their own apps, and dispatch: an event becomes one durable
 * `deliver_notification` job per channel that wants it. Dispatch is an insert and never throws into the
 * caller, so a channel that is slow or broken never blocks or slows an operation.
 */
import { and, eq, inArray } from "drizzle-orm";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { Actor, AuthUser } from "../../core/identity.ts";
import { log } from "../../core/log.ts";
import { hostProblem } from "../../core/outbound.ts";
import type { Keys } from "../../crypto/keys.ts";
import { decryptSecret, encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import {
  applications,
  type NotificationChannel,
  notificationChannels,
  notificationSubscriptions,
  proxmoxHosts,
} from "../../db/schema.ts";
import type { JobQueue } from "../../queue/queue.ts";
import type { Notice, NoticeEvent } from "../apps/index.ts";
import type { AuditService } from "../audit/audit.service.ts";
import { type Delivery, DeliveryError, type SendOptions, send } from "./channels/index.ts";
import { DeliverNotificationJob } from "./job-types.ts";
import { CONFIG_SCHEMAS, type CreateChannelInput, type PatchChannelInput } from "./notifications.schemas.ts";

export interface NotificationsDeps {
  db: Db;
  keys: Keys;
  jobs: JobQueue;
  audit: AuditService;
  send?: SendOptions;
}

/** The config field that names where a kind sends (the one a refused target is reported on). */
const TARGET_FIELD = { webhook: "url", ntfy: "server", gotify: "server", email: "host" } as const;

export class NotificationsService {
  constructor(private readonly deps: NotificationsDeps) {}

  list(): Promise<NotificationChannel[]> {
    return this.deps.db.select().from(notificationChannels).orderBy(notificationChannels.name);
  }

  async get(id: string): Promise<NotificationChannel> {
    const [row] = await this.deps.db
      .select()
      .from(notificationChannels)
      .where(eq(notificationChannels.id, id));
    if (!row) throw new NotFoundError("Channel");
    return row;
  }

  async create(actor: Actor & { user: AuthUser }, input: CreateChannelInput): Promise<NotificationChannel> {
    await this.checkTarget(input.kind, input.config);
    if (input.kind === "email" && input.config.username && !input.secret)
      throw new ValidationError("The channel is invalid", [
        { field: "secret", message: "the SMTP password is required with a username" },
      ]);
    if (input.kind === "email" && input.config.username && input.config.security === "none")
      throw new ValidationError("The channel is invalid", [
        { field: "config.security", message: "a password is never sent without TLS: use starttls or tls" },
      ]);
    return this.deps.db.transaction(async (db) => {
      await this.assertNameFree(db, input.name);
      const [row] = await db
        .insert(notificationChannels)
        .values({
          name: input.name,
          kind: input.kind,
          config: input.config,
          secretEnc: input.secret ? await encryptSecret(this.deps.keys, input.secret) : null,
          events: input.events,
          enabled: input.enabled ?? true,
          createdBy: actor.user.id,
        })
        .returning();
      await this.deps.audit.record(
        {
          actor,
          action: "notification_channel.create",
          target: { type: "notification_channel", id: row!.id },
          details: { name: input.name, kind: input.kind, events: input.events },
        },
        db,
      );
      return row!;
    });
  }

  async patch(actor: Actor, id: string, input: PatchChannelInput): Promise<NotificationChannel> {
    const current = await this.get(id);
    let config = current.config;
    if (input.config) {
      const parsed = CONFIG_SCHEMAS[current.kind].safeParse(input.config);
      if (!parsed.success) {
        throw new ValidationError(
          "The channel is invalid",
          parsed.error.issues.map((i) => ({ field: ["config", ...i.path].join("."), message: i.message })),
        );
      }
      config = parsed.data as Record<string, unknown>;
      await this.checkTarget(current.kind, config);
    }
    if (input.secret === null && (current.kind === "webhook" || current.kind === "gotify"))
      throw new ValidationError("The channel is invalid", [
        { field: "secret", message: `a ${current.kind} channel needs its secret` },
      ]);
    return this.deps.db.transaction(async (db) => {
      if (input.name && input.name.toLowerCase() !== current.name.toLowerCase())
        await this.assertNameFree(db, input.name);
      const [row] = await db
        .update(notificationChannels)
        .set({
          ...(input.name ? { name: input.name } : {}),
          config,
          ...(input.secret !== undefined
            ? { secretEnc: input.secret === null ? null : await encryptSecret(this.deps.keys, input.secret) }
            : {}),
          ...(input.events ? { events: input.events } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          updatedAt: new Date(),
        })
        .where(eq(notificationChannels.id, id))
        .returning();
      await this.deps.audit.record(
        {
          actor,
          action: "notification_channel.update",
          target: { type: "notification_channel", id },
          details: { changed: Object.keys(input) },
        },
        db,
      );
      return row!;
    });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const current = await this.get(id);
    await this.deps.db.transaction(async (db) => {
      await db.delete(notificationChannels).where(eq(notificationChannels.id, id));
      await this.deps.audit.record(
        {
          actor,
          action: "notification_channel.delete",
          target: { type: "notification_channel", id },
          details: { name: current.name },
        },
        db,
      );
    });
  }

  /** Sends a `test` event now (bounded by the senders' timeouts) and records the outcome on the channel. */
  async test(
    actor: Actor,
    id: string,
  ): Promise<{ ok: boolean; error: string | null; channel: NotificationChannel }> {
    const channel = await this.get(id);
    const delivery: Delivery = {
      event: "test",
      occurred_at: new Date().toISOString(),
      details: { channel: channel.name, by: actor.user?.username ?? null },
    };
    let error: string | null = null;
    try {
      await this.deliver(channel, delivery);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    await this.deps.audit.record({
      actor,
      action: "notification_channel.test",
      target: { type: "notification_channel", id },
      details: { ok: error === null },
    });
    return { ok: error === null, error, channel: await this.get(id) };
  }

  /** Sends one delivery to one channel and records success or the error on it (never the secret). */
  async deliver(channel: NotificationChannel, delivery: Delivery): Promise<void> {
    const secret = channel.secretEnc ? await decryptSecret(this.deps.keys, channel.secretEnc) : null;
    try {
      await send(channel, secret, delivery, this.deps.send);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      await this.deps.db
        .update(notificationChannels)
        .set({ lastError: message, lastErrorAt: new Date() })
        .where(eq(notificationChannels.id, channel.id));
      throw err instanceof DeliveryError ? err : new DeliveryError(message, false);
    }
    await this.deps.db
      .update(notificationChannels)
      .set({ lastSuccessAt: new Date() })
      .where(eq(notificationChannels.id, channel.id));
  }

  // ------------------------------------------------------------ subscriptions (a user, their own apps)

  async subscriptions(user: AuthUser) {
    const channels = await this.deps.db
      .select()
      .from(notificationChannels)
      .where(eq(notificationChannels.enabled, true))
      .orderBy(notificationChannels.name);
    const mine = await this.deps.db
      .select()
      .from(notificationSubscriptions)
      .where(eq(notificationSubscriptions.userId, user.id));
    return channels.map((c) => ({
      channel_id: c.id,
      channel_name: c.name,
      kind: c.kind,
      events: (mine.find((s) => s.channelId === c.id)?.events ?? []) as NoticeEvent[],
    }));
  }

  async subscribe(user: AuthUser, channelId: string, events: NoticeEvent[]): Promise<void> {
    const channel = await this.get(channelId);
    if (!channel.enabled) throw new ConflictError("The channel is disabled");
    await this.deps.db
      .insert(notificationSubscriptions)
      .values({ userId: user.id, channelId, events })
      .onConflictDoUpdate({
        target: [notificationSubscriptions.userId, notificationSubscriptions.channelId],
        set: { events },
      });
  }

  async unsubscribe(user: AuthUser, channelId: string): Promise<void> {
    await this.get(channelId);
    await this.deps.db
      .delete(notificationSubscriptions)
      .where(
        and(
          eq(notificationSubscriptions.userId, user.id),
          eq(notificationSubscriptions.channelId, channelId),
        ),
      );
  }

  // ------------------------------------------------------------ dispatch

  /** An event to every channel that wants it: the channel's own selection, or the app owner's subscription. */
  notify = async (notice: Notice): Promise<void> => {
    try {
      await this.dispatch(notice);
    } catch (err) {
      log.error("Notification not dispatched", { event: notice.event, app_id: notice.app_id, err });
    }
  };

  private async dispatch(notice: Notice): Promise<number> {
    const { db } = this.deps;
    const [app] = notice.app_id
      ? await db
          .select({
            id: applications.id,
            name: applications.name,
            hostname: applications.hostname,
            url: applications.url,
            ownerId: applications.ownerId,
          })
          .from(applications)
          .where(eq(applications.id, notice.app_id))
      : [];
    const channels = await db
      .select()
      .from(notificationChannels)
      .where(eq(notificationChannels.enabled, true));
    const wanted = new Set(channels.filter((c) => c.events.includes(notice.event)).map((c) => c.id));
    if (app) {
      const subs = await db
        .select()
        .from(notificationSubscriptions)
        .where(
          and(
            eq(notificationSubscriptions.userId, app.ownerId),
            inArray(
              notificationSubscriptions.channelId,
              channels.map((c) => c.id),
            ),
          ),
        );
      for (const s of subs) if (s.events.includes(notice.event)) wanted.add(s.channelId);
    }
    if (wanted.size === 0) return 0;
    const details = { ...notice.details };
    if (notice.host_id && details.host_name === undefined) {
      const [host] = await db
        .select({ name: proxmoxHosts.name })
        .from(proxmoxHosts)
        .where(eq(proxmoxHosts.id, notice.host_id));
      details.host_id = notice.host_id;
      details.host_name = host?.name ?? null;
    }
    const delivery = {
      event: notice.event,
      occurred_at: new Date().toISOString(),
      ...(app ? { app: { id: app.id, name: app.name, hostname: app.hostname, url: app.url } } : {}),
      details,
    };
    for (const channelId of wanted) {
      await this.deps.jobs.enqueue(DeliverNotificationJob, { payload: { channel_id: channelId, delivery } });
    }
    return wanted.size;
  }

  private async assertNameFree(db: Db, name: string): Promise<void> {
    const rows = await db
      .select({ id: notificationChannels.id, name: notificationChannels.name })
      .from(notificationChannels);
    if (rows.some((r) => r.name.toLowerCase() === name.toLowerCase()))
      throw new ConflictError(`A channel named "${name}" exists already`, [
        { field: "name", message: "is taken by another channel" },
      ]);
  }

  private async checkTarget(
    kind: NotificationChannel["kind"],
    config: Record<string, unknown>,
  ): Promise<void> {
    const field = TARGET_FIELD[kind];
    const value = String(config[field] ?? "");
    const host = kind === "email" ? value : new URL(value).hostname;
    const problem = await hostProblem(host, { unresolved: "allow" });
    if (problem)
      throw new ValidationError("The channel is invalid", [
        { field: `config.${field}`, message: `refused: ${problem}` },
      ]);
  }
}
