/** ntfy: a JSON publish to the server's root (topic, title, message, tags, priority), an optional token. */
import type { ChannelConfig } from "../notifications.schemas.ts";
import { post } from "./http-post.ts";
import { type Delivery, textOf, titleOf } from "./message.ts";

const TAGS: Partial<Record<Delivery["event"], string>> = {
  "app.down": "rotating_light",
  "app.up": "white_check_mark",
  "update.available": "package",
  "update.succeeded": "white_check_mark",
  "update.failed": "x",
  "update.rolled_back": "leftwards_arrow_with_hook",
  "backup.failed": "x",
  "host.unreachable": "rotating_light",
  "host.storage_low": "warning",
};

export async function sendNtfy(
  config: ChannelConfig["ntfy"],
  token: string | null,
  d: Delivery,
): Promise<void> {
  const tag = TAGS[d.event];
  const body = JSON.stringify({
    topic: config.topic,
    title: titleOf(d),
    message: textOf(d),
    priority:
      d.event === "app.down" || d.event === "host.unreachable"
        ? Math.max(config.priority, 4)
        : config.priority,
    ...(tag ? { tags: [tag] } : {}),
    ...(d.app?.url ? { click: d.app.url } : {}),
  });
  await post(config.server.replace(/\/+$/, "/"), body, {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
}
