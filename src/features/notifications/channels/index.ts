/** One sender per channel kind; `send` picks it by the channel's kind and validates its stored config. */

import { hostProblem } from "../../../core/outbound.ts";
import type { NotificationKind } from "../../../db/schema.ts";
import { CONFIG_SCHEMAS } from "../notifications.schemas.ts";
import { sendGotify } from "./gotify.ts";
import { type Delivery, DeliveryError, textOf, titleOf } from "./message.ts";
import { sendNtfy } from "./ntfy.ts";
import { sendMail } from "./smtp.ts";
import { sendWebhook } from "./webhook.ts";

export { type Delivery, type DeliveryApp, DeliveryError, textOf, titleOf } from "./message.ts";
export { signature } from "./webhook.ts";

export interface SendOptions {
  /** Extra CA certificates for SMTP over TLS (tests). */
  smtpCa?: string | undefined;
}

export async function send(
  channel: { kind: NotificationKind; config: Record<string, unknown> },
  secret: string | null,
  d: Delivery,
  options: SendOptions = {},
): Promise<void> {
  switch (channel.kind) {
    case "webhook": {
      if (!secret) throw new DeliveryError("The webhook has no signing secret", false);
      return sendWebhook(CONFIG_SCHEMAS.webhook.parse(channel.config), secret, d);
    }
    case "ntfy":
      return sendNtfy(CONFIG_SCHEMAS.ntfy.parse(channel.config), secret, d);
    case "gotify": {
      if (!secret) throw new DeliveryError("The Gotify channel has no application token", false);
      return sendGotify(CONFIG_SCHEMAS.gotify.parse(channel.config), secret, d);
    }
    case "email": {
      const c = CONFIG_SCHEMAS.email.parse(channel.config);
      const problem = await hostProblem(c.host);
      if (problem) throw new DeliveryError(`Refused: ${problem}`, false);
      return sendMail({ ...c, password: secret, subject: titleOf(d), text: textOf(d), ca: options.smtpCa });
    }
  }
}
