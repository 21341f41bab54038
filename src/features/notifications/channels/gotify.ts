/** Gotify: POST /message with the application token in X-Gotify-Key (never in the URL, where logs keep it). */
import type { ChannelConfig } from "../notifications.schemas.ts";
import { post } from "./http-post.ts";
import { type Delivery, textOf, titleOf } from "./message.ts";

export async function sendGotify(config: ChannelConfig["gotify"], token: string, d: Delivery): Promise<void> {
  const body = JSON.stringify({ title: titleOf(d), message: textOf(d), priority: config.priority });
  await post(`${config.server.replace(/\/+$/, "")}/message`, body, {
    "content-type": "application/json",
    "x-gotify-key": token,
  });
}
