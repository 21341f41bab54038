/** The DNS-01 certificate job's implementation: the access service does the work (obtainCertificate). */
import { implementJob, type JobImplementation } from "../../queue/define.ts";
import type { AccessService } from "./access.service.ts";
import { ObtainCertificateJob } from "./job-types.ts";

export function accessJobs(access: () => AccessService): JobImplementation[] {
  return [
    implementJob(ObtainCertificateJob, {
      run: async (ctx) => {
        await ctx.step("obtain", () =>
          access().obtainCertificate(ctx.payload, (message) => ctx.log(message)),
        );
      },
    }),
  ];
}
