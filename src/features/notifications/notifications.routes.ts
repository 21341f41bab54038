/**
 * /api/v1/notifications: channels (administrators: create, list, change, delete, test) and each user's
 * subscriptions to them for events of their own apps.
 */
import { z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { createRouter, jsonBody, jsonResponse, routesFor, UuidParam } from "../../http/openapi.ts";
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

const ChannelParams = z.object({ channel_id: UuidParam("channel_id") });
const One = z.object({ channel: ChannelSchema });

const admin = routesFor(adminOnly, "notifications");
const user = routesFor(authed, "notifications");

const list = admin.get("/notifications/channels", {
  operationId: "listNotificationChannels",
  summary: "Notification channels, with their last success and last error",
  responses: { 200: jsonResponse(z.object({ items: z.array(ChannelSchema) }), "Channels") },
});

const create = admin.post("/notifications/channels", {
  operationId: "createNotificationChannel",
  summary: "A webhook, ntfy, Gotify or email channel and the events it receives",
  request: { body: jsonBody(CreateChannelBody) },
  responses: { 201: jsonResponse(One, "Created") },
  errors: [409],
});

const get = admin.get("/notifications/channels/{channel_id}", {
  operationId: "getNotificationChannel",
  summary: "A channel (its secret is never returned)",
  request: { params: ChannelParams },
  responses: { 200: jsonResponse(One, "The channel") },
});

const patch = admin.patch("/notifications/channels/{channel_id}", {
  operationId: "updateNotificationChannel",
  summary: "Change a channel's name, configuration, secret, events or whether it is enabled",
  request: { params: ChannelParams, body: jsonBody(PatchChannelBody) },
  responses: { 200: jsonResponse(One, "The channel") },
  errors: [409],
});

const remove = admin.delete("/notifications/channels/{channel_id}", {
  operationId: "deleteNotificationChannel",
  summary: "Delete a channel (and every subscription to it)",
  request: { params: ChannelParams },
  responses: { 204: { description: "Deleted" } },
});

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
  return createRouter<NotificationsRouteServices>()
    .openapi(list, async (c) => {
      const rows = await c.get("services").notifications.list();
      return c.json({ items: rows.map(toPublicChannel) }, 200);
    })
    .openapi(create, async (c) => {
      const row = await c.get("services").notifications.create(actorOf(c), c.req.valid("json"));
      return c.json({ channel: toPublicChannel(row) }, 201);
    })
    .openapi(get, async (c) => {
      const row = await c.get("services").notifications.get(c.req.valid("param").channel_id);
      return c.json({ channel: toPublicChannel(row) }, 200);
    })
    .openapi(patch, async (c) => {
      const row = await c
        .get("services")
        .notifications.patch(actorOf(c), c.req.valid("param").channel_id, c.req.valid("json"));
      return c.json({ channel: toPublicChannel(row) }, 200);
    })
    .openapi(remove, async (c) => {
      await c.get("services").notifications.remove(actorOf(c), c.req.valid("param").channel_id);
      return c.body(null, 204);
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
