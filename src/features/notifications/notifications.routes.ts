/**
 * /api/v1/notifications: channels (administrators: create, list, change, delete, test) and each user's
 * subscriptions to them for events of their own apps.
 */
import { z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { idParams, jsonBody, jsonResponse, routesFor } from "../../http/openapi.ts";
import { resourceRoutes } from "../../http/resource.ts";
import {
  ChannelSchema,
  CreateChannelBody,
  PatchChannelBody,
  SubscriptionBody,
  SubscriptionSchema,
  TestResult,
  toPublicChannel,
} from "./notifications.schemas.ts";
import type { NotificationsService } from "./notifications.service.ts";

export interface NotificationsRouteServices {
  notifications: NotificationsService;
}

const ChannelParams = idParams("channel_id");

const admin = routesFor(adminOnly, "notifications");
const user = routesFor(authed, "notifications");

const test = admin.post("/notifications/channels/{channel_id}/test", {
  operationId: "testNotificationChannel",
  summary: "Send a test event now and say whether it arrived",
  request: { params: ChannelParams },
  responses: { 200: jsonResponse(TestResult, "The outcome") },
});

const subscriptions = user.get("/notifications/subscriptions", {
  operationId: "listNotificationSubscriptions",
  summary: "The enabled channels and the events of your own apps you receive on each",
  responses: { 200: jsonResponse(z.object({ items: z.array(SubscriptionSchema) }), "Subscriptions") },
});

const subscribe = user.put("/notifications/subscriptions/{channel_id}", {
  operationId: "subscribeNotificationChannel",
  summary: "Receive these events of your own apps on a channel",
  request: { params: ChannelParams, body: jsonBody(SubscriptionBody) },
  responses: { 204: { description: "Subscribed" } },
  errors: [409],
});

const unsubscribe = user.delete("/notifications/subscriptions/{channel_id}", {
  operationId: "unsubscribeNotificationChannel",
  summary: "Stop receiving your apps' events on a channel",
  request: { params: ChannelParams },
  responses: { 204: { description: "Unsubscribed" } },
});

export function notificationsRoutes() {
  return resourceRoutes(admin, {
    path: "/notifications/channels",
    id: "channel_id",
    item: "channel",
    schema: ChannelSchema,
    toPublic: toPublicChannel,
    service: (s: NotificationsRouteServices) => s.notifications,
    list: {
      operationId: "listNotificationChannels",
      summary: "Notification channels, with their last success and last error",
      answer: "Channels",
      call: (channels) => channels.list(),
    },
    create: {
      operationId: "createNotificationChannel",
      summary: "A webhook, ntfy, Gotify or email channel and the events it receives",
      body: CreateChannelBody,
      answer: "Created",
      errors: [409],
      call: (channels, body, actor) => channels.create(actor, body),
    },
    get: {
      operationId: "getNotificationChannel",
      summary: "A channel (its secret is never returned)",
      answer: "The channel",
      call: (channels, id) => channels.get(id),
    },
    update: {
      operationId: "updateNotificationChannel",
      summary: "Change a channel's name, configuration, secret, events or whether it is enabled",
      body: PatchChannelBody,
      answer: "The channel",
      errors: [409],
      call: (channels, id, body, actor) => channels.patch(actor, id, body),
    },
    delete: {
      operationId: "deleteNotificationChannel",
      summary: "Delete a channel (and every subscription to it)",
      answer: "Deleted",
      call: (channels, id, actor) => channels.remove(actor, id),
    },
  })
    .openapi(test, async (c) => {
      const r = await c.get("services").notifications.test(actorOf(c), c.req.valid("param").channel_id);
      return c.json({ ok: r.ok, error: r.error, channel: toPublicChannel(r.channel) }, 200);
    })
    .openapi(subscriptions, async (c) => {
      return c.json({ items: await c.get("services").notifications.subscriptions(c.get("user")) }, 200);
    })
    .openapi(subscribe, async (c) => {
      await c
        .get("services")
        .notifications.subscribe(c.get("user"), c.req.valid("param").channel_id, c.req.valid("json").events);
      return c.body(null, 204);
    })
    .openapi(unsubscribe, async (c) => {
      await c.get("services").notifications.unsubscribe(c.get("user"), c.req.valid("param").channel_id);
      return c.body(null, 204);
    });
}
