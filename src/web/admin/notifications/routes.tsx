/** /notifications (administrators): channels: list, add (one form per kind), test, enable/disable, delete. */
import { Hono } from "hono";
import type { NotificationKind } from "../../../db/schema.ts";
import { NOTICE_EVENTS } from "../../../features/apps/index.ts";
import { CreateChannelBody } from "../../../features/notifications/notifications.schemas.ts";
import type { WebEnv } from "../../context.ts";
import { ToastPartial } from "../../kit/components.tsx";
import { actor, formNumber, page, parsed, readForm, redirect, submitForm } from "../../kit/index.ts";
import { ChannelForm, ChannelsTable, NotificationsPage } from "./pages.tsx";

/** The API's create body from a channel form: `config.*` fields, `secret`, and one checkbox per event. */
function channelBody(f: Record<string, string>) {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (!k.startsWith("config.") || v.trim() === "") continue;
    config[k.slice(7)] = v.trim();
  }
  if (f.kind === "email") {
    if (config.port !== undefined) config.port = formNumber(String(config.port));
    if (typeof config.to === "string")
      config.to = config.to
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
  }
  return {
    kind: f.kind,
    name: (f.name ?? "").trim(),
    config,
    ...(f.secret ? { secret: f.secret } : {}),
    events: NOTICE_EVENTS.filter((e) => f[`events.${e}`] === "on"),
  };
}

export function notificationsRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    const channels = await c.get("services").notifications.list();
    return c.html(<NotificationsPage page={page(c, "/notifications")} channels={channels} />);
  });

  r.post("/", async (c) => {
    const f = await readForm(c);
    const kind = (
      ["webhook", "ntfy", "gotify", "email"].includes(f.kind ?? "") ? f.kind : "webhook"
    ) as NotificationKind;
    return submitForm(
      c,
      async () => {
        const input = parsed(CreateChannelBody, channelBody(f), "The channel cannot be added");
        await c.get("services").notifications.create(actor(c), input);
        return redirect(c, "/notifications");
      },
      (errors) => <ChannelForm kind={kind} csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  r.post("/:id/test", async (c) => {
    const notifications = c.get("services").notifications;
    const result = await notifications.test(actor(c), c.req.param("id"));
    return c.html(
      <>
        <ToastPartial
          message={
            result.ok ? `Test sent to ${result.channel.name}` : `${result.channel.name}: ${result.error}`
          }
          ok={result.ok}
        />
        <hx-partial hx-target="#channels-table" hx-swap="outerHTML">
          <ChannelsTable channels={await notifications.list()} />
        </hx-partial>
      </>,
    );
  });

  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    r.post(`/:id/${verb}`, async (c) => {
      await c.get("services").notifications.patch(actor(c), c.req.param("id"), { enabled });
      return redirect(c, "/notifications");
    });
  }

  r.post("/:id/delete", async (c) => {
    await c.get("services").notifications.remove(actor(c), c.req.param("id"));
    return redirect(c, "/notifications");
  });

  return r;
}
