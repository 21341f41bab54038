/**
 * Crash safety with real processes: Proximity is killed with SIGKILL in the middle of a deploy, started
 * again on the same data directory, and the job is reclaimed after its lease: the app ends running (or in
 * error with its container removed), never with a duplicate or orphaned container.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PASSWORD } from "../../helpers/harness.ts";
import { type ProximityProcess, spawnProximity } from "../../helpers/process.ts";

// About 3× the test measured alone on the 2-core machine (24 s).
setDefaultTimeout(75_000);

interface SimInfo {
  api_url: string;
  token_id: string;
  token_secret: string;
  ssh_host: string;
  ssh_port: number;
  ssh_password: string;
}

const dataDir = mkdtempSync(join(tmpdir(), "proximity-crash-"));
const sim = Bun.spawn(["bun", "src/simulator/main.ts", "--speed", "20", "--nodes", "2"], {
  stdout: "pipe",
  stderr: "inherit",
});
afterAll(() => {
  sim.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0]!;
}

describe("crash safety", () => {
  test("SIGKILL during a deploy: after restart the job is reclaimed and completes, with exactly one container", async () => {
    const info = JSON.parse(await firstLine(sim.stdout)) as SimInfo;
    const env = {
      DATA_DIR: dataDir,
      PROXIMITY_SIMULATOR: "off",
      PROXMOX_URL: info.api_url,
      PROXMOX_TOKEN_ID: info.token_id,
      PROXMOX_TOKEN_SECRET: info.token_secret,
      PROXMOX_SSH_HOST: info.ssh_host,
      PROXMOX_SSH_PORT: String(info.ssh_port),
      PROXMOX_SSH_PASSWORD: info.ssh_password,
      JOB_LEASE_SECONDS: "2",
    };
    const call = async (
      p: ProximityProcess,
      path: string,
      init: RequestInit & { token?: string; json?: unknown } = {},
    ) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      const res = await fetch(`${p.url}${path}`, {
        ...init,
        headers,
        body: init.json === undefined ? null : JSON.stringify(init.json),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const simState = async () => {
      const res = await fetch(`${info.api_url}/_sim/state`, {
        headers: { authorization: `PVEAPIToken=${info.token_id}=${info.token_secret}` },
      });
      return (
        (await res.json()) as { data: { containers: { vmid: number; node: string; status: string }[] } }
      ).data;
    };

    let first = await spawnProximity(env);
    await call(first, "/api/v1/auth/register", {
      method: "POST",
      json: { username: "admin", password: PASSWORD },
    });
    let token = (
      await call(first, "/api/v1/auth/login", {
        method: "POST",
        json: { username: "admin", password: PASSWORD },
      })
    ).access_token as string;
    const started = (await call(first, "/api/v1/apps/deploy", {
      method: "POST",
      token,
      json: { catalog_id: "it-tools", hostname: "crashy" },
    })) as { app: { id: string }; job: { id: string } };

    // Kill it once the container exists and provisioning has begun.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = (await call(first, `/api/v1/jobs/${started.job.id}`, { token })) as {
        progress: { step_index: number } | null;
      };
      if ((job.progress?.step_index ?? 0) >= 6) break;
      if (Date.now() > deadline) throw new Error("deploy did not progress");
      await Bun.sleep(20);
    }
    expect(await first.stop("SIGKILL")).not.toBe(0);

    first = await spawnProximity(env);
    try {
      token = (
        await call(first, "/api/v1/auth/login", {
          method: "POST",
          json: { username: "admin", password: PASSWORD },
        })
      ).access_token as string;
      let app: { status: string; vmid: number | null; node: string | null } = {
        status: "deploying",
        vmid: null,
        node: null,
      };
      const end = Date.now() + 90_000;
      while (app.status === "deploying" && Date.now() < end) {
        await Bun.sleep(100);
        app = ((await call(first, `/api/v1/apps/${started.app.id}`, { token })) as { app: typeof app }).app;
      }
      expect(app.status).toBe("running");
      const job = (await call(first, `/api/v1/jobs/${started.job.id}`, { token })) as {
        status: string;
        attempts: number;
      };
      expect(job).toMatchObject({ status: "succeeded", attempts: 2 });
      const containers = (await simState()).containers;
      expect(containers).toHaveLength(1);
      expect(containers[0]).toMatchObject({ vmid: app.vmid, node: app.node, status: "running" });
    } finally {
      await first.stop();
    }
  });
});
