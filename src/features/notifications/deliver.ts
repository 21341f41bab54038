/**
 * The delivery job: one event to one channel. A channel deleted or disabled since the event is skipped;
 * a retryable failure (network, timeout, 5xx, 429) goes back to the queue with its backoff; either way the
 * channel records its last error and last success (NotificationsService.deliver).
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { notificationChannels } from "../../db/schema.ts";
import { implementJob, type JobImplementation } from "../../queue/define.ts";
import { DeliverNotificationJob } from "./job-types.ts";
import type { NotificationsService } from "./notifications.service.ts";

export function notificationJobs(db: Db, service: () => NotificationsService): JobImplementation[] {
  return [
    implementJob(DeliverNotificationJob, {
      run: async (ctx) => {
        await ctx.step("send", async () => {
          const [channel] = await db
            .select()
            .from(notificationChannels)
            .where(eq(notificationChannels.id, ctx.payload.channel_id));
          if (!channel?.enabled) {
            await ctx.log("The channel was deleted or disabled since the event: not sent");
            return;
          }
          await service().deliver(channel, ctx.payload.delivery);
        });
      },
    }),
  ];
}
