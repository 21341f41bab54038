/**
 * The app job types: kind, payload schema and steps of every saga on an app. The service enqueues with
 * these; the sagas implement them (deploy.ts, lifecycle.ts, clone.ts).
 */
import { z } from "zod";
import { defineJob } from "../../../queue/define.ts";

const OnApp = z.object({ app_id: z.string().uuid() });

export const DEPLOY_STEPS = [
  "place",
  "template",
  "create",
  "start",
  "network",
  "install_docker",
  "write_files",
  "pull",
  "seed_files",
  "up",
  "health",
  "finish",
] as const;

/**
 * The OCI runtime's deploy: the image is pulled as a template, the container created from it with the data
 * volumes as mount points and the app's environment written before the first start; once the address is
 * known, values that depend on it are written again (with a restart) before the health check.
 */
export const OCI_DEPLOY_STEPS = [
  "place",
  "pull",
  "create",
  "environment",
  "start",
  "network",
  "address_env",
  "health",
  "finish",
] as const;

export const CLONE_STEPS = [
  "reserve",
  "snapshot",
  "clone",
  "cleanup_snapshot",
  "start",
  "network",
  "secrets",
  "up",
  "health",
  "finish",
] as const;

export const DeployAppJob = defineJob({
  kind: "deploy_app",
  payload: OnApp.extend({ node: z.string().optional() }),
  steps: DEPLOY_STEPS,
  maxAttempts: 5,
});

export const DeployOciAppJob = defineJob({
  kind: "deploy_oci_app",
  payload: OnApp.extend({ node: z.string().optional() }),
  steps: OCI_DEPLOY_STEPS,
  maxAttempts: 5,
});

export const StartAppJob = defineJob({
  kind: "start_app",
  payload: OnApp,
  steps: ["start", "network", "health"],
});
export const StopAppJob = defineJob({ kind: "stop_app", payload: OnApp, steps: ["shutdown"] });
export const RestartAppJob = defineJob({
  kind: "restart_app",
  payload: OnApp,
  steps: ["reboot", "network", "health"],
});
/** Who asked for an update: a person (POST /update) or the update policy's window. */
export const UPDATE_TRIGGERS = ["manual", "auto"] as const;

/**
 * The Docker update, guarded by a snapshot (guarded-update.ts): snapshot, the new compose file, pull, up,
 * health, then older snapshots pruned. A failure after the snapshot rolls the container back to it.
 */
export const UpdateAppJob = defineJob({
  kind: "update_app",
  payload: OnApp.extend({ trigger: z.enum(UPDATE_TRIGGERS).optional() }),
  steps: ["snapshot", "write_files", "pull", "up", "health", "prune"],
});
/**
 * An adopted helper-script container's update: its own `/usr/bin/update` run in the container, guarded by
 * a snapshot like the Docker update (update-script.ts on guarded-update.ts).
 */
export const UpdateScriptAppJob = defineJob({
  kind: "update_script_app",
  payload: OnApp.extend({ trigger: z.enum(UPDATE_TRIGGERS).optional() }),
  steps: ["snapshot", "update_script", "health", "prune"],
});
/**
 * The OCI runtime's update: a new container from the new image, the data mount points moved to it, the old
 * container kept (stopped) until the new one is healthy (update-oci.ts).
 */
export const OCI_UPDATE_STEPS = [
  "prepare",
  "pull",
  "create",
  "environment",
  "stop_old",
  "move_data",
  "start",
  "network",
  "health",
  "switch",
] as const;

export const UpdateOciAppJob = defineJob({
  kind: "update_oci_app",
  payload: OnApp,
  steps: OCI_UPDATE_STEPS,
});

export const ReconfigureAppJob = defineJob({
  kind: "reconfigure_app",
  payload: OnApp.extend({
    resources: z
      .object({
        cores: z.number().int().optional(),
        memory_mb: z.number().int().optional(),
        disk_gb: z.number().int().optional(),
      })
      .optional(),
    environment: z.record(z.string(), z.string()).optional(),
    /** Secret values, sealed (AES-GCM); removed from the row when the job ends (JOB_SECRETS_KEY). */
    secrets: z.string().optional(),
  }),
  steps: ["resources", "environment", "health"],
});
export const DeleteAppJob = defineJob({
  kind: "delete_app",
  payload: OnApp.extend({ keep_container: z.boolean(), keep_backups: z.boolean() }),
  steps: ["destroy", "backups", "forget"],
});
export const CloneAppJob = defineJob({
  kind: "clone_app",
  payload: OnApp.extend({ target_app_id: z.string().uuid() }),
  steps: CLONE_STEPS,
});

/** start/stop/restart, by the action's name. */
export const ACTION_JOBS = { start: StartAppJob, stop: StopAppJob, restart: RestartAppJob } as const;
