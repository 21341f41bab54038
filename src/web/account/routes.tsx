/** /account (everyone signed in): the page, password change, subscriptions to channels, sign out everywhere. */
import { Hono } from "hono";
import { NotFoundError } from "../../core/errors.ts";
import { ChangePasswordBody } from "../../features/auth/auth.schemas.ts";
import type { WebEnv } from "../context.ts";
import {
  actor,
  confirmation,
  page,
  parsedWith,
  readForm,
  savedForm,
  submitForm,
  viewer,
} from "../kit/index.ts";
import { clearSessionCookie } from "../session.ts";
import { AccountPage, PasswordForm } from "./pages.tsx";
import { APP_EVENTS, SubscriptionForm } from "./subscriptions.tsx";

export function accountRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) =>
    c.html(
      <AccountPage
        page={page(c, "/account")}
        viewer={viewer(c)}
        subs={await c.get("services").notifications.subscriptions(viewer(c))}
      />,
    ),
  );

  r.put("/subscriptions/:channel", async (c) => {
    const f = await readForm(c);
    const events = APP_EVENTS.filter((e) => f[`events.${e}`] === "on");
    const notifications = c.get("services").notifications;
    const channelId = c.req.param("channel");
    if (events.length) await notifications.subscribe(viewer(c), channelId, events);
    else await notifications.unsubscribe(viewer(c), channelId);
    const sub = (await notifications.subscriptions(viewer(c))).find((s) => s.channel_id === channelId);
    if (!sub) throw new NotFoundError("Channel");
    return savedForm(
      c,
      <SubscriptionForm sub={sub} csrf={c.get("csrfToken")} />,
      events.length
        ? `You receive ${events.length} event(s) of your apps on ${sub.channel_name}`
        : `Unsubscribed from ${sub.channel_name}`,
    );
  });

  r.post("/password", async (c) => {
    const f = await readForm(c);
    const again = (errors: Record<string, string>) => (
      <PasswordForm viewer={viewer(c)} csrf={c.get("csrfToken")} errors={errors} />
    );
    return submitForm(
      c,
      async () => {
        // The API's body: the same limits and password rule, plus the confirmation only a form has.
        const input = parsedWith(
          ChangePasswordBody,
          { current_password: f.current_password ?? "", new_password: f.new_password ?? "" },
          "The password was not changed",
          confirmation(f, "new_password"),
        );
        await c
          .get("services")
          .auth.changePassword(actor(c), input.current_password, input.new_password, c.get("sessionToken"));
        return savedForm(c, again({}), "Password changed; your other sessions have ended.");
      },
      again,
    );
  });

  r.post("/sign-out-everywhere", async (c) => {
    await c.get("services").auth.logoutEverywhere(actor(c));
    clearSessionCookie(c);
    return c.redirect("/login", 303);
  });

  return r;
}
