/** Every job kind of the apps module, registered with the queue at start. */
import type { JobImplementation } from "../../../queue/define.ts";
import type { AppDeps } from "../runtime.ts";
import { cloneJob } from "./clone.ts";
import { deployJob } from "./deploy.ts";
import { deployOciJob } from "./deploy-oci.ts";
import { lifecycleJobs } from "./lifecycle.ts";
import { updateOciJob } from "./update-oci.ts";
import { updateScriptJob } from "./update-script.ts";

export function appJobs(deps: AppDeps): JobImplementation[] {
  return [
    deployJob(deps),
    deployOciJob(deps),
    cloneJob(deps),
    updateOciJob(deps),
    updateScriptJob(deps),
    ...lifecycleJobs(deps),
  ];
}
