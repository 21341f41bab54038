/** Your apps' events on the notification channels administrators made: one form per channel. */
import type { FC } from "hono/jsx";
import { NOTICE_EVENTS, type NoticeEvent } from "../../features/apps/index.ts";
import { Csrf } from "../kit/index.ts";

export interface SubscriptionView {
  channel_id: string;
  channel_name: string;
  kind: string;
  events: NoticeEvent[];
}

/** The events that are about one app (host events and `test` are the administrators'). */
export const APP_EVENTS: NoticeEvent[] = NOTICE_EVENTS.filter((e) => e !== "test" && !e.startsWith("host."));

export const SubscriptionForm: FC<{ sub: SubscriptionView; csrf: string }> = ({ sub, csrf }) => (
  <form
    id={`subscription-${sub.channel_id}`}
    hx-put={`/account/subscriptions/${sub.channel_id}`}
    hx-target="this"
    hx-swap="outerHTML"
  >
    <Csrf token={csrf} />
    <fieldset>
      <legend>
        {sub.channel_name} <small class="muted">({sub.kind})</small>
      </legend>
      {APP_EVENTS.map((e) => (
        <label>
          <input type="checkbox" name={`events.${e}`} checked={sub.events.includes(e)} /> {e}
        </label>
      ))}
    </fieldset>
    <button type="submit" class="secondary small">
      Save
    </button>
  </form>
);

export const SubscriptionsSection: FC<{ subs: SubscriptionView[]; csrf: string }> = ({ subs, csrf }) => (
  <article id="subscriptions">
    <h2>Notifications for your apps</h2>
    {subs.length === 0 ? (
      <p class="muted">No notification channels yet: an administrator adds them (Notifications).</p>
    ) : (
      <>
        <p class="muted">Tick what you want to hear about your own apps on each channel.</p>
        {subs.map((s) => (
          <SubscriptionForm sub={s} csrf={csrf} />
        ))}
      </>
    )}
  </article>
);
