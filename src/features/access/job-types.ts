/** The DNS-01 certificate job (docs/access.md): obtains or renews `*.<domain>` for the access settings. */
import { z } from "zod";
import { defineJob } from "../../queue/define.ts";

export const ObtainCertificateJob = defineJob({
  kind: "access_certificate",
  /**
   * revision: the access settings it was enqueued for; replaces: the expiry of the certificate it renews
   * (null: the first). A job whose settings or certificate changed since does nothing.
   */
  payload: z.object({ domain: z.string(), revision: z.string(), replaces: z.string().nullable() }),
  steps: ["obtain"],
  // Not retried by the queue: the access service's tick tries again the next hour, a save at once.
  maxAttempts: 1,
});
