/**
 * Update of an app a Proxmox VE community helper script installed: the container's own `/usr/bin/update`
 * (which fetches the script's `ct/<slug>.sh` again and runs its update_script), run through `pct exec`
 * non-interactively, its output streamed into the app's log. The snapshot before it, the health check after
 * it and the rollback when either fails are the guarded update's (guarded-update.ts), shared with the Docker
 * update. docs/adopt.md.
 */
import { AppServiceError } from "../../../core/errors.ts";
import type { JobImplementation } from "../../../queue/define.ts";
import { guardedUpdateJob } from "../guarded-update.ts";
import { HELPER_UPDATE } from "../helper-scripts/update.ts";
import type { AppDeps, AppRun } from "../runtime.ts";
import { UpdateScriptAppJob } from "./job-types.ts";

/** Helper-script updates build from source or download releases: minutes, sometimes many. */
const UPDATE_TIMEOUT_MS = 30 * 60_000;

async function runUpdateScript(run: AppRun): Promise<void> {
  // Lines are written to the log in order, as they arrive; the step waits for the last one.
  let written: Promise<void> = Promise.resolve();
  const onLine = (line: string, stream: "stdout" | "stderr") => {
    const text = line.trim();
    if (!text) return;
    written = written.then(() => run.log(text.slice(0, 2000), stream === "stderr" ? "warn" : "info"));
  };
  const result = await run.ssh.pctExec(run.node, run.vmid, [...HELPER_UPDATE], {
    // Nothing on stdin and no terminal: the script takes its non-interactive path (PHS_SILENT=1 as well).
    stdin: "",
    timeoutMs: Math.max(UPDATE_TIMEOUT_MS, run.deps.timing.commandTimeoutMs),
    onLine,
  });
  await written;
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ").slice(0, 500);
    throw new AppServiceError(
      `/usr/bin/update exited with ${result.exitCode} in CT ${run.vmid}: ${tail}`,
      run.errorContext("update_script"),
    );
  }
}

export function updateScriptJob(deps: AppDeps): JobImplementation {
  return guardedUpdateJob(deps, UpdateScriptAppJob, {
    // The script decides what it installs: the version is not known beforehand.
    target: () => null,
    update: (run) => run.step("update_script", () => runUpdateScript(run)),
    succeeded: async () => {},
  });
}
