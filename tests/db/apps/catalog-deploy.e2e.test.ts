/**
 * Every catalog entry, deployed with its defaults, reaches `running` on the simulated cluster, and the `.env`
 * written into its container carries the per-deploy values and no set-but-empty variable. Deploys run in
 * concurrent batches (the job queue runs several at once) to keep the file quick on a 2-core machine.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { applications } from "../../../src/db/schema.ts";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";
import { deployAllRunning, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

// About 3× the slowest batch measured alone on the 2-core machine (20 s).
setDefaultTimeout(60_000);

/** Values an entry requires and has no default for: what a user must type in the deploy form. */
const REQUIRED: Record<string, Record<string, string>> = {
  pgadmin: { ADMIN_EMAIL: "admin@example.org" },
};

// System entries (the managed proxy) are deployed by Proximity itself: tests/db/access covers them.
const ids = Object.keys(BUILTIN_CATALOG_FILES)
  .filter((id) => !/^system: true$/m.test(BUILTIN_CATALOG_FILES[id]!))
  .sort();
const BATCH = 8;

let w: SimWorld;
beforeAll(async () => {
  // Enough nodes for the whole catalog at once (nothing is deleted in between) and a fast clock.
  w = await startWorld({ nodes: 8, speed: 2000 });
}, 180_000); // PGlite's first start is slow: about 3× the ~60 s this setup took alone on the 2-core machine
afterAll(async () => {
  await w.stop();
});

function envFileOf(vmid: number): string | undefined {
  const state = w.sim.state() as unknown as {
    containers: { vmid: number; files: Record<string, { content: string }> }[];
  };
  return state.containers.find((c) => c.vmid === vmid)?.files["/opt/proximity/.env"]?.content;
}

function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const raw = line.slice(eq + 1);
    // Values are written single-quoted unless they need double quotes (see quoteEnvValue).
    out.set(line.slice(0, eq), raw.slice(1, -1));
  }
  return out;
}

describe("the whole catalog deploys to running with its defaults", () => {
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    test(`batch ${i / BATCH + 1}: ${batch.join(", ")}`, async () => {
      const apps = await deployAllRunning(
        w,
        batch.map((id) => ({
          catalog_id: id,
          hostname: `t-${id}`.slice(0, 40),
          environment: REQUIRED[id] ?? {},
        })),
        50_000,
      );
      for (const [n, app] of apps.entries()) {
        const id = batch[n]!;
        const env = parseEnvFile(envFileOf(app.vmid!) ?? "");
        expect(env.get("APP_ADDRESS"), id).toBe(app.ip!);
        expect(env.get("APP_HOSTNAME"), id).toBe(app.hostname);
        expect(env.get("APP_URL"), id).toBe(app.url!);
        const empty = [...env].filter(([, v]) => v === "").map(([k]) => k);
        expect(empty, `${id}: set-but-empty variables in .env`).toEqual([]);
      }
    });
  }
});

describe("after the install", () => {
  const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
    w.t.request(path, { token: w.admin.token, ...init });
  const appByHostname = async (hostname: string) => {
    const [app] = await w.t.services.database.db
      .select()
      .from(applications)
      .where(eq(applications.hostname, hostname));
    return app!;
  };
  /** Asks for an update of the app at `hostname` as if it had been installed at `installed`. */
  const updateFrom = async (hostname: string, installed: string) => {
    const app = await appByHostname(hostname);
    await w.t.services.database.db
      .update(applications)
      .set({ catalogVersion: installed })
      .where(eq(applications.id, app.id));
    return { app, res: await api(`/api/v1/apps/${app.id}/update`, { method: "POST" }) };
  };

  test("an update the entry marks unsafe is refused with the reason; the app stays running", async () => {
    // Installed two majors ago: Nextcloud only upgrades one major at a time.
    const { res } = await updateFrom("t-nextcloud", "31.0.7");
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("CONFLICT");
    expect(body.error.message).toContain("Nextcloud 31.0.7 → 33.0.9 crosses a major version");
    expect(body.error.message).toContain("one major version at a time");
    expect((await appByHostname("t-nextcloud")).status).toBe("running");

    const { res: refused } = await updateFrom("t-meilisearch", "1.13.0");
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      "export it first",
    );
  });

  test("an update the entry allows goes ahead and records the new version", async () => {
    const { app: vault, res } = await updateFrom("t-vaultwarden", "1.34.1");
    expect(res.status).toBe(202);
    const app = await settled(w, vault.id);
    expect(app?.status).toBe("running");
    expect(app?.catalogVersion).toBe("1.37.2");
  });

  test("a new address after a restart is written to .env (per-deploy values follow the app)", async () => {
    const vault = await appByHostname("t-vaultwarden");
    const before = vault.ip!;
    // Another MAC address: the simulated DHCP server hands out another lease on the next start.
    const put = await fetch(`${w.sim.apiUrl}/api2/json/nodes/${vault.node}/lxc/${vault.vmid}/config`, {
      method: "PUT",
      headers: {
        authorization: `PVEAPIToken=${w.sim.tokenId}=${w.sim.tokenSecret}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ net0: "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:AA:01,ip=dhcp" }),
    });
    expect(put.status, await put.text()).toBe(200);
    const res = await api(`/api/v1/apps/${vault.id}/actions`, {
      method: "POST",
      json: { action: "restart" },
    });
    expect(res.status).toBe(202);
    const app = await settled(w, vault.id);
    expect(app?.status).toBe("running");
    expect(app!.ip).not.toBe(before);
    const env = parseEnvFile(envFileOf(app!.vmid!) ?? "");
    expect(env.get("APP_ADDRESS")).toBe(app!.ip!);
    expect(env.get("APP_URL")).toBe(`http://${app!.ip}:80`);
  });
});
