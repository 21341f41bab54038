/**
 * Webhook: POST of the delivery as JSON, signed with `x-proximity-signature: sha256=<hex HMAC-SHA256(secret,
 * raw body)>`. The receiver recomputes the HMAC over the bytes it received and compares in constant time.
 */
import { createHmac } from "node:crypto";
import type { ChannelConfig } from "../notifications.schemas.ts";
import { post } from "./http-post.ts";
import type { Delivery } from "./message.ts";

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function sendWebhook(
  config: ChannelConfig["webhook"],
  secret: string,
  d: Delivery,
): Promise<void> {
  const body = JSON.stringify({
    event: d.event,
    occurred_at: d.occurred_at,
    ...(d.app ? { app: d.app } : {}),
    details: d.details,
  });
  await post(config.url, body, {
    "content-type": "application/json",
    "user-agent": "Proximity",
    "x-proximity-event": d.event,
    "x-proximity-signature": signature(secret, body),
  });
}
