/** The delivery of one event to one channel: a durable job, retried with backoff (network, 5xx, 429). */
import { z } from "zod";
import { defineJob } from "../../queue/define.ts";
import { NOTICE_EVENTS } from "../apps/index.ts";

export const DeliveryPayload = z.object({
  event: z.enum(NOTICE_EVENTS),
  occurred_at: z.string(),
  app: z
    .object({ id: z.string(), name: z.string(), hostname: z.string(), url: z.string().nullable() })
    .optional(),
  details: z.record(z.string(), z.unknown()),
});

export const DeliverNotificationJob = defineJob({
  kind: "deliver_notification",
  payload: z.object({ channel_id: z.string().uuid(), delivery: DeliveryPayload }),
  steps: ["send"],
  // 2, 4, 8, 16, 32 s (the queue's backoff from its base): about a minute before a channel is given up.
  maxAttempts: 6,
});
