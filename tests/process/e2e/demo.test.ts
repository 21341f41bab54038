/** Demo mode: with no Proxmox host configured, Proximity starts its simulated cluster and says so. */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PASSWORD } from "../../helpers/harness.ts";
import { postJson, signUpOverHttp, spawnProximity } from "../../helpers/process.ts";

setDefaultTimeout(60_000);

const dataDir = mkdtempSync(join(tmpdir(), "proximity-demo-"));
const offDir = mkdtempSync(join(tmpdir(), "proximity-nodemo-"));
afterAll(() => {
  for (const d of [dataDir, offDir]) rmSync(d, { recursive: true, force: true });
});

describe("demo mode", () => {
  test("PROXIMITY_SIMULATOR=auto with no host: the simulated cluster is registered as the default host and announced", async () => {
    const p = await spawnProximity({ DATA_DIR: dataDir, PROXIMITY_SIMULATOR: "auto" });
    try {
      expect(p.output()).toContain("DEMO MODE");
      const { token } = await signUpOverHttp(p.url, "admin", PASSWORD);
      const get = async (path: string) =>
        (await (
          await fetch(`${p.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as Record<string, unknown>;
      expect(await get("/api/v1/system/info")).toMatchObject({ demo_mode: true });
      const hosts = (await get("/api/v1/hosts")) as {
        items: { name: string; is_simulator: boolean; is_default: boolean }[];
      };
      expect(hosts.items).toEqual([
        expect.objectContaining({ name: "Simulated demo cluster", is_simulator: true, is_default: true }),
      ]);
      // The first sync runs at start; the simulated nodes show up for users.
      let nodes: { items: { name: string }[] } = { items: [] };
      for (let i = 0; i < 100 && nodes.items.length < 3; i++) {
        nodes = (await get("/api/v1/nodes")) as typeof nodes;
        if (nodes.items.length < 3) await Bun.sleep(50);
      }
      expect(nodes.items.map((n) => n.name)).toEqual(["pve1", "pve2", "pve3"]);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });

  test("with PROXIMITY_SIMULATOR=off and no host, no simulator runs and deploying says a host is needed", async () => {
    const p = await spawnProximity({
      DATA_DIR: mkdtempSync(join(tmpdir(), "proximity-nodemo-")),
      PROXIMITY_SIMULATOR: "off",
    });
    try {
      expect(p.output()).not.toContain("DEMO MODE");
      const { token } = await signUpOverHttp(p.url, "admin", PASSWORD);
      const res = await postJson(
        p.url,
        "/api/v1/apps/deploy",
        { catalog_id: "it-tools", hostname: "tools" },
        token,
      );
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        "No Proxmox host is configured",
      );
    } finally {
      await p.stop();
    }
  });
});
