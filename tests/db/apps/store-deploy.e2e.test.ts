/**
 * Entries imported from the fixture stores of each format (Runtipi, CasaOS, Umbrel) deploy to `running` on
 * the simulated cluster with their defaults, like built-in entries, and the files written into the container
 * hold no store-only variable, path, network or service and no set-but-empty value.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { SYSTEM_ACTOR } from "../../../src/core/identity.ts";
import { fetcherFor } from "../../../src/features/apps/health.ts";
import { updateInfo } from "../../../src/features/apps/update-info.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(180_000);

const FIXTURES = join(import.meta.dir, "../../fixtures/stores");
/** What a user must type for entries that require it (no default in the store). */
const REQUIRED: Record<string, Record<string, string>> = {
  "tipi/notepad": { NOTEPAD_PASSWORD: "a-long-admin-password" },
};
/** Words only a store's own platform understands: none may reach a container. */
const STORE_ONLY = [
  "APP_DATA_DIR",
  "APP_DOMAIN",
  "APP_PROTOCOL",
  "ROOT_FOLDER_HOST",
  "tipi_main_network",
  "traefik",
  "/DATA/",
  "AppID",
  "app_proxy",
  "UMBREL_ROOT",
  "DEVICE_DOMAIN_NAME",
  "ipv4_address",
];

let w: SimWorld;
beforeAll(async () => {
  w = await startWorld({ nodes: 4, speed: 2000 });
  for (const [name, dir] of [
    ["tipi", "runtipi"],
    ["casa", "casaos"],
    ["umb", "umbrel"],
  ] as const) {
    const source = await w.t.services.sources.create({ name, url: join(FIXTURES, dir) }, SYSTEM_ACTOR);
    await w.t.services.sources.settled(source.id);
  }
}, 300_000);
afterAll(async () => {
  await w.stop();
});

/** A file as the app's own container (a compose service) sees it through its volumes. */
function serviceFileOf(vmid: number, service: string, path: string) {
  const state = w.sim.state();
  const services = state.containers.find((c) => c.vmid === vmid)?.compose.flatMap((p) => p.services) ?? [];
  const svc = services.find((s) => s.name === service);
  return { state: svc?.state, file: svc?.files[path] };
}

function fileOf(vmid: number, path: string): string {
  const state = w.sim.state() as unknown as {
    containers: { vmid: number; files: Record<string, { content: string }> }[];
  };
  return state.containers.find((c) => c.vmid === vmid)?.files[path]?.content ?? "";
}

describe("imported entries deploy like built-in ones", () => {
  test("every imported fixture entry reaches running with clean .env and compose files", async () => {
    const ids = w.t.services.catalog
      .list({})
      .map((e) => e.id)
      .filter((id) => id.includes("/"))
      .sort();
    expect(ids).toEqual([
      "casa/mediabox",
      "casa/pastebin",
      "casa/securenotes",
      "tipi/kvstore",
      "tipi/legacy-wiki",
      "tipi/notepad",
      "tipi/rolling",
      "tipi/seeded",
      "umb/notes-app",
      "umb/photo-frame",
      "umb/welcome-page",
    ]);
    const started = await Promise.all(
      ids.map((id) =>
        deploy(w, {
          catalog_id: id,
          hostname: id.replace("/", "-"),
          runtime: "docker",
          environment: REQUIRED[id] ?? {},
        }),
      ),
    );
    for (const [n, s] of started.entries())
      expect(s.status, `${ids[n]}: ${JSON.stringify(s.body)}`).toBe(202);
    const apps = await Promise.all(started.map((s) => settled(w, s.app.id, 120_000)));
    for (const [n, app] of apps.entries()) {
      const id = ids[n]!;
      expect(app?.statusReason ?? null, id).toBeNull();
      expect(app?.status, id).toBe("running");
      const env = fileOf(app!.vmid!, "/opt/proximity/.env");
      const compose = fileOf(app!.vmid!, "/opt/proximity/compose.yaml");
      expect(compose, id).toContain("services:");
      for (const word of STORE_ONLY) {
        expect(env.includes(word) || compose.includes(word), `${id} holds ${word}`).toBe(false);
      }
      const empty = env
        .split("\n")
        .filter((l) => /^[A-Z_][A-Z0-9_]*=(''|"")?$/.test(l))
        .map((l) => l.split("=")[0]);
      expect(empty, `${id}: set-but-empty variables`).toEqual([]);
      expect(env).toContain(`APP_ADDRESS='${app!.ip}'`);
    }

    // An app that serves HTTPS itself (a self-signed certificate) passed its health check over https and
    // opens at an https URL; its app answered that request over TLS.
    const secure = apps[ids.indexOf("casa/securenotes")]!;
    expect(secure.url).toBe(`https://${secure.ip}:8443`);
    const answer = await fetcherFor("https")(`${secure.url}/login`, {});
    expect(await answer.text()).toBe("ok from securenotes over https\n");
    await expect(fetch(`http://${secure.ip}:8443/login`)).rejects.toThrow();

    // An app whose store names its image without a version runs, but is never offered an update.
    const rolling = apps[ids.indexOf("tipi/rolling")]!;
    expect(updateInfo(rolling, w.t.services.catalog)).toMatchObject({
      available: false,
      untracked: "image not pinned (example/rolling:latest, redis): Proximity cannot offer updates",
    });

    // The files the stores ship are in the apps' containers, where the store mounts them, before they start.
    const seeded = apps[ids.indexOf("tipi/seeded")]!;
    expect(serviceFileOf(seeded.vmid!, "seeded", "/config/settings.yml")).toEqual({
      state: "running",
      file: { mode: "0644", size: 11, content: "key: value\n", owner: "1000:1000" },
    });
    expect(serviceFileOf(seeded.vmid!, "seeded", "/etc/nginx/conf.d/site.conf").file?.content).toContain(
      "root /config;",
    );
    const db = serviceFileOf(seeded.vmid!, "seeded", "/config/seed.db").file!;
    expect(db.size).toBe(20);
    const page = apps[ids.indexOf("umb/welcome-page")]!;
    expect(serviceFileOf(page.vmid!, "web", "/usr/share/nginx/html/index.html")).toMatchObject({
      state: "running",
      file: { content: expect.stringContaining("Hello from the store.") },
    });
    expect(serviceFileOf(page.vmid!, "web", "/etc/nginx/conf.d/default.conf").file?.content).toContain(
      "listen 80;",
    );
  });
});
