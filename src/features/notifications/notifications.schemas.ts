/** Request/response shapes of /notifications: channels (admin) and subscriptions (each user, own apps). */
import { z } from "@hono/zod-openapi";
import { NOTIFICATION_KINDS, type NotificationChannel } from "../../db/schema.ts";
import { NOTICE_EVENTS } from "../apps/index.ts";

const httpUrl = z
  .string()
  .max(2000)
  .url("must be a URL")
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
  .refine((u) => {
    try {
      const url = new URL(u);
      return !url.username && !url.password;
    } catch {
      return false;
    }
  }, "must not carry credentials (put the token in secret)");

const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?)$/,
    "must be a host name or an IP address",
  );

const email = z.string().max(254).email("must be an email address");

export const WebhookConfig = z
  .object({ url: httpUrl })
  .strict()
  .openapi("WebhookConfig", { description: "secret: the HMAC-SHA256 key (x-proximity-signature)" });
export const NtfyConfig = z
  .object({
    server: httpUrl.default("https://ntfy.sh"),
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, "must be 1–64 letters, digits, - or _"),
    priority: z.number().int().min(1).max(5).default(3),
  })
  .strict()
  .openapi("NtfyConfig", { description: "secret (optional): an access token" });
export const GotifyConfig = z
  .object({ server: httpUrl, priority: z.number().int().min(0).max(10).default(5) })
  .strict()
  .openapi("GotifyConfig", { description: "secret: the application token" });
export const EmailConfig = z
  .object({
    host: hostName,
    port: z.number().int().min(1).max(65535).default(587),
    security: z
      .enum(["starttls", "tls", "none"])
      .default("starttls")
      .openapi({ description: "starttls (port 587), tls (implicit TLS, port 465), or none (a LAN relay)" }),
    username: z.string().min(1).max(254).optional(),
    from: email,
    to: z.array(email).min(1).max(10),
  })
  .strict()
  .openapi("EmailConfig", { description: "secret: the SMTP password (with username)" });

export const CONFIG_SCHEMAS = {
  webhook: WebhookConfig,
  ntfy: NtfyConfig,
  gotify: GotifyConfig,
  email: EmailConfig,
} as const;

export type ChannelConfig = {
  webhook: z.infer<typeof WebhookConfig>;
  ntfy: z.infer<typeof NtfyConfig>;
  gotify: z.infer<typeof GotifyConfig>;
  email: z.infer<typeof EmailConfig>;
};

const Events = z
  .array(z.enum(NOTICE_EVENTS))
  .min(1)
  .max(NOTICE_EVENTS.length)
  .openapi({ description: `Any of: ${NOTICE_EVENTS.join(", ")}` });

const Name = z.string().trim().min(1).max(80);
const Secret = z.string().min(1).max(1024);

const common = { name: Name, events: Events, enabled: z.boolean().optional() };

export const CreateChannelBody = z
  .discriminatedUnion("kind", [
    z
      .object({ ...common, kind: z.literal("webhook"), config: WebhookConfig, secret: Secret.min(16) })
      .strict(),
    z.object({ ...common, kind: z.literal("ntfy"), config: NtfyConfig, secret: Secret.optional() }).strict(),
    z.object({ ...common, kind: z.literal("gotify"), config: GotifyConfig, secret: Secret }).strict(),
    z
      .object({ ...common, kind: z.literal("email"), config: EmailConfig, secret: Secret.optional() })
      .strict(),
  ])
  .openapi("CreateChannelRequest");
export type CreateChannelInput = z.infer<typeof CreateChannelBody>;

export const PatchChannelBody = z
  .object({
    name: Name.optional(),
    /** The whole configuration of the channel's kind (validated against it). */
    config: z.record(z.string(), z.unknown()).optional(),
    secret: Secret.nullable().optional().openapi({ description: "A new secret; null removes it" }),
    events: Events.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("PatchChannelRequest");
export type PatchChannelInput = z.infer<typeof PatchChannelBody>;

export const ChannelSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    config: z.record(z.string(), z.unknown()),
    has_secret: z.boolean().openapi({ description: "Secrets are stored encrypted and never returned" }),
    events: z.array(z.enum(NOTICE_EVENTS)),
    enabled: z.boolean(),
    last_success_at: z.string().datetime().nullable(),
    last_error: z.string().nullable(),
    last_error_at: z.string().datetime().nullable(),
    created_at: z.string().datetime(),
  })
  .openapi("NotificationChannel");

export function toPublicChannel(c: NotificationChannel) {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    config: c.config,
    has_secret: c.secretEnc !== null,
    events: c.events as (typeof NOTICE_EVENTS)[number][],
    enabled: c.enabled,
    last_success_at: c.lastSuccessAt?.toISOString() ?? null,
    last_error: c.lastError,
    last_error_at: c.lastErrorAt?.toISOString() ?? null,
    created_at: c.createdAt.toISOString(),
  };
}

export const SubscriptionBody = z.object({ events: Events }).strict().openapi("SubscriptionRequest");

export const SubscriptionSchema = z
  .object({
    channel_id: z.string().uuid(),
    channel_name: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    /** Events of your own apps sent to this channel; empty when you are not subscribed. */
    events: z.array(z.enum(NOTICE_EVENTS)),
  })
  .openapi("NotificationSubscription");

export const TestResult = z
  .object({ ok: z.boolean(), error: z.string().nullable(), channel: ChannelSchema })
  .openapi("ChannelTestResult");
