/**
 * Entries imported from the fixture stores of each format (Runtipi, CasaOS, Umbrel) deploy to `running` on
 * the simulated cluster with their defaults, like built-in entries, and the files written into the container
 * hold no store-only variable, path, network or service and no set-but-empty value.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../../../src/core/identity.ts";
import { applications, deploymentLogs } from "../../../src/db/schema.ts";
import { fetcherFor } from "../../../src/features/apps/health.ts";
import { updateInfo } from "../../../src/features/apps/update-info.ts";
import { deploy, deployAllRunning, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";
import { importedIds, STORE_FIXTURES } from "../../helpers/stores.ts";

setDefaultTimeout(180_000);

/** What a user must type for entries that require it (no default in the store). */
const REQUIRED: Record<string, Record<string, string>> = {
  "tipi/notepad": { NOTEPAD_PASSWORD: "a-long-admin-password" },
  "tipi/templated": { TEMPLATED_PASSWORD: "the-templated-admin-password" },
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
    const source = await w.t.services.sources.create({ name, url: join(STORE_FIXTURES, dir) }, SYSTEM_ACTOR);
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
      ...importedIds("casaos", "casa"),
      ...importedIds("runtipi", "tipi"),
      ...importedIds("umbrel", "umb"),
    ]);
    const apps = await deployAllRunning(
      w,
      ids.map((id) => ({
        catalog_id: id,
        hostname: id.replace("/", "-"),
        runtime: "docker",
        environment: REQUIRED[id] ?? {},
      })),
      120_000,
    );
    for (const [n, app] of apps.entries()) {
      const id = ids[n]!;
      const env = fileOf(app.vmid!, "/opt/proximity/.env");
      const compose = fileOf(app.vmid!, "/opt/proximity/compose.yaml");
      expect(compose, id).toContain("services:");
      for (const word of STORE_ONLY) {
        expect(env.includes(word) || compose.includes(word), `${id} holds ${word}`).toBe(false);
      }
      const empty = env
        .split("\n")
        .filter((l) => /^[A-Z_][A-Z0-9_]*=(''|"")?$/.test(l))
        .map((l) => l.split("=")[0]);
      expect(empty, `${id}: set-but-empty variables`).toEqual([]);
      expect(env).toContain(`APP_ADDRESS='${app.ip}'`);
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

    // An app whose store maps the host's GPU (for hardware transcoding) runs without it: no device reaches the
    // files written into its container, and its service runs.
    const gpubox = apps[ids.indexOf("casa/gpubox")]!;
    expect(gpubox.status).toBe("running");
    const gpuCompose = fileOf(gpubox.vmid!, "/opt/proximity/compose.yaml");
    expect(gpuCompose).toContain("image: example/gpubox:2.0.0");
    expect(gpuCompose).not.toContain("devices");
    expect(gpuCompose).not.toContain("/dev/");
    const gpuServices =
      w.sim
        .state()
        .containers.find((c) => c.vmid === gpubox.vmid)
        ?.compose.flatMap((p) => p.services) ?? [];
    expect(gpuServices.map((s) => [s.name, s.state])).toEqual([["gpubox", "running"]]);

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
    // A template the store fills in at install: written with this install's password and hostname, readable
    // by its owner only (it holds a secret), no placeholder left.
    const templated = apps[ids.indexOf("tipi/templated")]!;
    expect(serviceFileOf(templated.vmid!, "templated", "/config/app.yml")).toEqual({
      state: "running",
      file: {
        mode: "0600",
        size: expect.any(Number),
        content: `admin_password: "the-templated-admin-password"\nexternal_url: "http://${templated.hostname}"\n`,
        owner: "1000:1000",
      },
    });
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

/** The environment each compose service of an app got, interpolated from its .env as compose does. */
function serviceEnv(vmid: number): Map<string, Record<string, string>> {
  const state = w.sim.state();
  const services = state.containers.find((c) => c.vmid === vmid)?.compose.flatMap((p) => p.services) ?? [];
  return new Map(services.map((s) => [s.name, s.environment]));
}

/** The value of NAME in an app's .env (written single-quoted). */
function envValue(env: string, name: string): string | undefined {
  return new RegExp(`^${name}='([^']*)'$`, "m").exec(env)?.[1];
}

describe("fixed credentials of a store", () => {
  test("become one generated value per install, the same wherever the stack uses it, never the store's", async () => {
    // tipi/wikidb: a database password in both services and in a connection URL; casa/davshare: WebDAV's
    // login password; umb/ledger: a password shared by PostgreSQL, Redis's command line and its health check,
    // and a config file with a fixed secret of its own.
    const bodies = ["tipi/wikidb", "tipi/wikidb", "casa/davshare", "umb/ledger"].map((id, n) => ({
      catalog_id: id,
      hostname: `fixed-${n}`,
      runtime: "docker",
    }));
    const [wiki, wiki2, dav, ledger] = await deployAllRunning(w, bodies, 120_000);
    const files = (app: { vmid: number | null }) => ({
      env: fileOf(app.vmid!, "/opt/proximity/.env"),
      compose: fileOf(app.vmid!, "/opt/proximity/compose.yaml"),
    });

    const wikiFiles = files(wiki!);
    const dbPassword = envValue(wikiFiles.env, "DB_PASSWORD")!;
    expect(dbPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const wikiEnv = serviceEnv(wiki!.vmid!);
    expect(wikiEnv.get("wikidb")).toMatchObject({
      DB_USER: "wiki",
      DB_PASSWORD: dbPassword,
      DATABASE_URL: `postgres://wiki:${dbPassword}@wikidb-db:5432/wiki`,
    });
    expect(wikiEnv.get("wikidb-db")).toMatchObject({ POSTGRES_USER: "wiki", POSTGRES_PASSWORD: dbPassword });
    // The setting whose store default was a fixed password is generated too.
    const admin = envValue(wikiFiles.env, "WIKI_ADMIN_PASSWORD")!;
    expect(admin).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(wikiEnv.get("wikidb")?.ADMIN_PASSWORD).toBe(admin);
    for (const text of [wikiFiles.env, wikiFiles.compose]) {
      expect(text).not.toMatch(/[=:]\s*'?tipi\b|:tipi@|changeme/);
    }
    // Another install of the same entry gets its own.
    expect(envValue(files(wiki2!).env, "DB_PASSWORD")).not.toBe(dbPassword);

    const davFiles = files(dav!);
    const login = envValue(davFiles.env, "PASSWORD")!;
    expect(login).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(serviceEnv(dav!.vmid!).get("davshare")).toMatchObject({ USERNAME: "casaos", PASSWORD: login });
    expect(`${davFiles.env}\n${davFiles.compose}`).not.toMatch(/PASSWORD[=:] *'?casaos/);

    const ledgerFiles = files(ledger!);
    const shared = envValue(ledgerFiles.env, "POSTGRES_PASSWORD")!;
    expect(shared).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const ledgerEnv = serviceEnv(ledger!.vmid!);
    expect(ledgerEnv.get("web")).toMatchObject({
      DATABASE_URL: `postgresql://ledger:${shared}@ledger_db_1:5432/ledger`,
      POSTGRES_PASSWORD: shared,
      REDIS_PASSWORD: shared,
    });
    expect(ledgerEnv.get("db")?.POSTGRES_PASSWORD).toBe(shared);
    expect(ledgerFiles.compose).toContain("redis-server --requirepass ${POSTGRES_PASSWORD}");
    expect(ledgerFiles.compose).toContain("pg_isready -U ledger");
    // The store's config file carried its own fixed secret: written with this install's generated one.
    const session = envValue(ledgerFiles.env, "SESSION_SECRET")!;
    expect(session).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(serviceFileOf(ledger!.vmid!, "web", "/config/app.ini").file).toMatchObject({
      mode: "0600",
      content: `[session]\n# session_secret = "example"\nsession_secret = "${session}"\nlifetime_hours = 24\n`,
    });
    for (const text of [ledgerFiles.env, ledgerFiles.compose]) {
      expect(text).not.toContain("moneyprintergobrrr");
      expect(text).not.toMatch(/ADMIN_PASSWORD[=:] *'?umbrel/);
    }

    // The generated login is stored encrypted, like a built-in entry's, and shown by Reveal credentials.
    const [row] = await w.t.services.database.db
      .select({ environment: applications.environment, secret: applications.secretEnvEnc })
      .from(applications)
      .where(eq(applications.id, dav!.id));
    expect(JSON.stringify(row!.environment)).not.toContain(login);
    expect(row!.secret).not.toContain(login);
    const revealed = await w.t.request(`/api/v1/apps/${dav!.id}/credentials`, { token: w.admin.token });
    expect(revealed.status).toBe(200);
    expect(((await revealed.json()) as { environment: Record<string, string> }).environment.PASSWORD).toBe(
      login,
    );
  });
});

describe("imported apps without a web interface", () => {
  test("deploy to running: their services and their store health check are waited for, their port is checked", async () => {
    // tipi/dyndns: one service with the store's own health check, no port; casa/headless: a database port.
    const [dyndns, headless] = await deployAllRunning(
      w,
      ["tipi/dyndns", "casa/headless"].map((id, n) => ({
        catalog_id: id,
        hostname: `daemon-${n}`,
        runtime: "docker",
      })),
      120_000,
    );
    for (const app of [dyndns!, headless!]) {
      // Nothing to open: no URL, and `.env` carries no URL or web port it does not have.
      expect(app.url).toBeNull();
      const env = fileOf(app.vmid!, "/opt/proximity/.env");
      expect(env).toContain(`APP_ADDRESS='${app.ip}'`);
      expect(env).not.toContain("APP_URL");
      expect(env).not.toContain("APP_PORT");
    }
    const log = async (appId: string) =>
      (
        await w.t.services.database.db
          .select({ message: deploymentLogs.message })
          .from(deploymentLogs)
          .where(eq(deploymentLogs.appId, appId))
      ).map((l) => l.message);
    expect(await log(dyndns!.id)).toContain(`DynDNS Updater is running at ${dyndns!.ip} (no web interface)`);
    // The database's port answers a TCP connection at its address.
    const socket = await Bun.connect({ hostname: headless!.ip!, port: 6390, socket: { data() {} } });
    socket.end();

    // The health watcher asks the database's port; the daemon without a port is left to its operations.
    const res = await w.t.request("/api/v1/settings", {
      method: "PUT",
      token: w.admin.token,
      json: { health: { interval_seconds: 10, failures: 1 } },
    });
    expect(res.status).toBe(200);
    const tick = await w.t.services.watcher.tick(new Date(Date.now() + 3_600_000), { hosts: false });
    expect(tick.failed).toBe(0);
    const [watched] = await w.t.services.database.db
      .select({ health: applications.health })
      .from(applications)
      .where(eq(applications.id, headless!.id));
    expect(watched!.health).toBe("healthy");

    // A restart checks the services again (a later operation), and the app runs.
    const restart = await w.t.request(`/api/v1/apps/${dyndns!.id}/actions`, {
      method: "POST",
      token: w.admin.token,
      json: { action: "restart" },
    });
    expect(restart.status).toBe(202);
    const again = await settled(w, dyndns!.id, 60_000);
    expect(again?.statusReason ?? null).toBeNull();
    expect(again?.status).toBe("running");
  });

  test("a service failing its image's own health check fails the deploy, named", async () => {
    // The same daemon, in a release the simulator models as broken: its health check never passes.
    const dir = await mkdtemp(join(tmpdir(), "store-"));
    await cp(join(STORE_FIXTURES, "runtipi/apps/dyndns"), join(dir, "apps/dyndns"), { recursive: true });
    const composeFile = join(dir, "apps/dyndns/docker-compose.json");
    await writeFile(
      composeFile,
      (await readFile(composeFile, "utf8")).replace("example/dyndns:3.1.0", "example/dyndns:3.1.0-unhealthy"),
    );
    try {
      const source = await w.t.services.sources.create({ name: "broken", url: dir }, SYSTEM_ACTOR);
      await w.t.services.sources.settled(source.id);
      const s = await deploy(w, {
        catalog_id: "broken/dyndns",
        hostname: "daemon-broken",
        runtime: "docker",
      });
      expect(s.status, JSON.stringify(s.body)).toBe(202);
      const app = await settled(w, s.app.id, 120_000);
      expect(app?.status).toBe("error");
      expect(app?.statusReason).toContain('step "health"');
      expect(app?.statusReason).toContain("dyndns (unhealthy)");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("one without a web interface runs on the OCI runtime too: its running container and its port", async () => {
    const dir = await mkdtemp(join(tmpdir(), "store-"));
    await mkdir(join(dir, "Apps/KeyValue"), { recursive: true });
    await writeFile(
      join(dir, "Apps/KeyValue/docker-compose.yml"),
      [
        "name: keyvalue",
        "services:",
        "  keyvalue:",
        "    image: redis:7.4.2",
        "    ports:",
        '      - "6379:6379"',
        "    volumes:",
        "      - /DATA/AppData/$AppID/data:/data",
        "x-casaos:",
        "  architectures: [amd64]",
        "  main: keyvalue",
        "  category: Database",
        "  title: { en_US: Key-Value }",
        "  description: { en_US: A key-value database without a web interface. }",
        '  port_map: ""',
      ].join("\n"),
    );
    try {
      const source = await w.t.services.sources.create({ name: "kv", url: dir }, SYSTEM_ACTOR);
      await w.t.services.sources.settled(source.id);
      const entry = w.t.services.catalog.get("kv/keyvalue");
      expect(entry).toMatchObject({ web: false, runtimes: ["docker", "oci"] });
      const s = await deploy(w, { catalog_id: "kv/keyvalue", hostname: "kv-oci", runtime: "oci" });
      expect(s.status, JSON.stringify(s.body)).toBe(202);
      const app = await settled(w, s.app.id, 120_000);
      expect(app?.statusReason ?? null).toBeNull();
      expect(app).toMatchObject({ status: "running", runtime: "oci", url: null });
      const socket = await Bun.connect({ hostname: app!.ip!, port: 6379, socket: { data() {} } });
      socket.end();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("one without a web interface is backed up, restored and cloned, each checked by its services and port", async () => {
    const api = (path: string, json?: Record<string, unknown>) =>
      w.t.request(path, { method: json ? "POST" : "GET", token: w.admin.token, ...(json ? { json } : {}) });
    const s = await deploy(w, { catalog_id: "casa/headless", hostname: "kv-backed", runtime: "docker" });
    expect(s.status, JSON.stringify(s.body)).toBe(202);
    const appId = s.app.id;
    expect((await settled(w, appId, 120_000))?.status).toBe("running");
    expect((await api(`/api/v1/apps/${appId}/backups`, {})).status).toBe(202);
    expect((await settled(w, appId, 120_000))?.status).toBe("running");
    const { items } = (await (await api(`/api/v1/apps/${appId}/backups`)).json()) as {
      items: { id: string; status: string }[];
    };
    expect(items.map((b) => b.status)).toEqual(["completed"]);
    const restore = await api(`/api/v1/apps/${appId}/backups/${items[0]!.id}/restore`, {});
    expect(restore.status).toBe(202);
    const restored = await settled(w, appId, 120_000);
    expect(restored).toMatchObject({ status: "running", statusReason: null, url: null });
    const clone = await api(`/api/v1/apps/${appId}/clone`, { hostname: "kv-copy" });
    expect(clone.status).toBe(202);
    const { app } = (await clone.json()) as { app: { id: string } };
    const copy = await settled(w, app.id, 120_000);
    expect(copy).toMatchObject({ status: "running", statusReason: null, url: null });
    const socket = await Bun.connect({ hostname: copy!.ip!, port: 6390, socket: { data() {} } });
    socket.end();
  });
});
