/**
 * What the deploy writes into a container for the entries that used to break: the rendered `.env` and the
 * compose document as compose would interpolate it, for an app at 10.0.0.5 named "app1".
 */
import { describe, expect, test } from "bun:test";
import { parse as parseYaml } from "yaml";
import type { CatalogEntry } from "../../../src/features/catalog/catalog.schemas.ts";
import {
  deployVariables,
  interpolate,
  renderAppEnv,
  resolveEnvironment,
} from "../../../src/features/catalog/compose.ts";
import { parseCompose, sidecarImagesOf } from "../../../src/features/catalog/compose-policy.ts";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";

const FACTS = { address: "10.0.0.5", hostname: "app1" };
const REQUIRED: Record<string, Record<string, string>> = { pgadmin: { ADMIN_EMAIL: "admin@example.org" } };

function entryOf(id: string): CatalogEntry {
  const r = parseCatalogFile(BUILTIN_CATALOG_FILES[id]!, id);
  if (!r.ok) throw new Error(r.issues.join("; "));
  return r.entry;
}

/** The `.env` lines of an app deployed with `user` values, as a map. */
function envFile(id: string, user: Record<string, string> = {}): Map<string, string> {
  const entry = entryOf(id);
  const stored = resolveEnvironment(entry, { ...REQUIRED[id], ...user });
  const text = renderAppEnv(entry, stored, FACTS);
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    out.set(line.slice(0, eq), line.slice(eq + 2, -1));
  }
  return out;
}

/** The environment each service gets, after compose interpolation. */
function serviceEnv(id: string, user: Record<string, string> = {}): Record<string, Record<string, string>> {
  const entry = entryOf(id);
  const env = {
    ...resolveEnvironment(entry, { ...REQUIRED[id], ...user }),
    ...deployVariables(entry, FACTS),
  };
  const doc = parseYaml(interpolate(entry.compose, env)) as {
    services: Record<string, { environment?: Record<string, unknown> | string[] }>;
  };
  const out: Record<string, Record<string, string>> = {};
  for (const [name, svc] of Object.entries(doc.services)) {
    const e = svc.environment ?? {};
    out[name] = Array.isArray(e)
      ? Object.fromEntries(e.map((kv) => [kv.split("=")[0]!, kv.split("=").slice(1).join("=")]))
      : Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
  }
  return out;
}

const ids = Object.keys(BUILTIN_CATALOG_FILES).sort();

describe("no entry writes a set-but-empty variable", () => {
  for (const id of ids) {
    test(id, () => {
      const env = envFile(id);
      expect([...env].filter(([, v]) => v === "").map(([k]) => k)).toEqual([]);
      expect(env.get("APP_ADDRESS")).toBe("10.0.0.5");
      for (const [service, vars] of Object.entries(serviceEnv(id))) {
        const empty = Object.entries(vars).filter(([, v]) => v === "");
        expect(empty, `${id}/${service}`).toEqual([]);
      }
    });
  }
});

describe("entries that used to break", () => {
  test("Nextcloud trusts the app's address and hostname, and its health check asks for a trusted name", () => {
    expect(serviceEnv("nextcloud").nextcloud!.NEXTCLOUD_TRUSTED_DOMAINS).toBe("10.0.0.5 app1 localhost");
    expect(
      serviceEnv("nextcloud", { TRUSTED_DOMAINS: "cloud.example.com" }).nextcloud!.NEXTCLOUD_TRUSTED_DOMAINS,
    ).toBe("10.0.0.5 app1 cloud.example.com");
    expect(entryOf("nextcloud").healthcheck!.host).toBe("localhost");
  });

  test("Vaultwarden's DOMAIN is the app's URL unless the user gives one", () => {
    expect(serviceEnv("vaultwarden").vaultwarden!.DOMAIN).toBe("http://10.0.0.5:80");
    expect(envFile("vaultwarden").has("DOMAIN")).toBe(false);
    expect(serviceEnv("vaultwarden", { DOMAIN: "https://vault.example.com" }).vaultwarden!.DOMAIN).toBe(
      "https://vault.example.com",
    );
    // An empty value from the form means "not set", never DOMAIN="".
    expect(serviceEnv("vaultwarden", { DOMAIN: "" }).vaultwarden!.DOMAIN).toBe("http://10.0.0.5:80");
  });

  test("Gitea and Forgejo always get a ROOT_URL (their rootless images rewrite app.ini from it)", () => {
    expect(serviceEnv("gitea").gitea!.GITEA__server__ROOT_URL).toBe("http://10.0.0.5:3000/");
    expect(serviceEnv("forgejo").forgejo!.FORGEJO__server__ROOT_URL).toBe("http://10.0.0.5:3000/");
    expect(serviceEnv("gitea", { ROOT_URL: "https://git.example.com/" }).gitea!.GITEA__server__ROOT_URL).toBe(
      "https://git.example.com/",
    );
  });

  test("Paperless-ngx and Homepage answer their address, hostname and the health check's name", () => {
    const paperless = serviceEnv("paperless-ngx").webserver!;
    expect(paperless.PAPERLESS_URL).toBe("http://10.0.0.5:8000");
    expect(paperless.PAPERLESS_ALLOWED_HOSTS!.split(",")).toEqual(
      expect.arrayContaining(["10.0.0.5", "app1", "localhost"]),
    );
    expect(entryOf("paperless-ngx").healthcheck!.host).toBe("localhost");
    const homepage = serviceEnv("homepage").homepage!.HOMEPAGE_ALLOWED_HOSTS!.split(",");
    expect(homepage).toEqual(expect.arrayContaining(["10.0.0.5:3000", "app1:3000", "localhost:3000"]));
    expect(entryOf("homepage").healthcheck!.host).toBe("localhost:3000");
  });

  test("pgAdmin refuses a special-use e-mail domain at deploy time, with the reason", () => {
    for (const email of ["admin@box.local", "admin@localhost", "me@home.arpa", "me@nas.home.arpa"]) {
      expect(() => resolveEnvironment(entryOf("pgadmin"), { ADMIN_EMAIL: email })).toThrow(
        "Invalid environment for pgadmin",
      );
      try {
        resolveEnvironment(entryOf("pgadmin"), { ADMIN_EMAIL: email });
      } catch (err) {
        const details = (err as { details: { field: string; message: string }[] }).details;
        expect(details[0]!.field).toBe("environment.ADMIN_EMAIL");
        expect(details[0]!.message).toContain("refuses special-use domains");
      }
    }
    expect(resolveEnvironment(entryOf("pgadmin"), { ADMIN_EMAIL: "admin@example.org" }).ADMIN_EMAIL).toBe(
      "admin@example.org",
    );
  });

  test("AdGuard Home: the first boot answers the installer, later the login page", () => {
    const { first_boot, later } = entryOf("adguard-home").healthcheck!;
    expect(first_boot.path).toBe("/install.html");
    expect(later.path).toBe("/login.html");
  });

  test("configuration that lives in the image is kept in a volume", () => {
    const mounts = (id: string) =>
      Object.values(parseCompose(entryOf(id).compose).services).flatMap((s) => (s.volumes as string[]) ?? []);
    expect(mounts("prometheus")).toContain("prometheus-config:/etc/prometheus");
    expect(mounts("alertmanager")).toContain("alertmanager-config:/etc/alertmanager");
    expect(mounts("couchdb")).toContain("couchdb-config:/opt/couchdb/etc/local.d");
    expect(mounts("loki")).toContain("loki-config:/etc/loki");
  });

  test("Seerr (Jellyseerr's successor) runs with an init process and keeps /app/config in a volume", () => {
    const seerr = parseCompose(entryOf("seerr").compose).services.seerr!;
    expect(seerr.image).toBe("ghcr.io/seerr-team/seerr:v3.5.0");
    expect(seerr.init).toBe(true);
    expect(seerr.volumes).toEqual(["seerr-config:/app/config"]);
    expect(BUILTIN_CATALOG_FILES.jellyseerr).toBeUndefined();
  });

  test("Vikunja 2 gets its signing secret under service.secret and the app's URL, and can write its volumes", () => {
    const env = serviceEnv("vikunja").vikunja!;
    expect(env.VIKUNJA_SERVICE_SECRET).toMatch(/^\S{16,}$/);
    expect(env.VIKUNJA_SERVICE_JWTSECRET).toBeUndefined();
    expect(env.VIKUNJA_SERVICE_PUBLICURL).toBe("http://10.0.0.5:3456/");
    expect(
      serviceEnv("vikunja", { PUBLIC_URL: "https://todo.example.com/" }).vikunja!.VIKUNJA_SERVICE_PUBLICURL,
    ).toBe("https://todo.example.com/");
    // Neither /db nor /app/vikunja/files exists in the image, so Docker creates the volumes owned by root.
    expect(parseCompose(entryOf("vikunja").compose).services.vikunja!.user).toBe("0:0");
  });

  test("Immich 3 runs its release compose: Valkey, the VectorChord database image and its shared memory", () => {
    const services = parseCompose(entryOf("immich").compose).services;
    expect(services["immich-server"]!.image).toBe(
      `ghcr.io/immich-app/immich-server:v${entryOf("immich").version}`,
    );
    expect(services["immich-machine-learning"]!.image).toBe(
      `ghcr.io/immich-app/immich-machine-learning:v${entryOf("immich").version}`,
    );
    expect(String(services.redis!.image)).toStartWith("valkey/valkey:9.");
    expect(services.db!.image).toBe("ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0");
    expect(services.db!.shm_size).toBe("128mb");
  });

  test("Karakeep uses its own browser image and a Meilisearch that upgrades its index in place", () => {
    const services = parseCompose(entryOf("karakeep").compose).services;
    expect(String(services.chrome!.image)).toStartWith("ghcr.io/karakeep-app/karakeep-chrome:");
    // The image's entrypoint owns the debugging port; passing it again breaks the forwarding.
    expect((services.chrome!.command as string[]).some((a) => a.startsWith("--remote-debugging"))).toBe(
      false,
    );
    expect(serviceEnv("karakeep").meilisearch!.MEILI_EXPERIMENTAL_DUMPLESS_UPGRADE).toBe("true");
  });

  test("every sidecar image records where its tag was checked", () => {
    for (const id of ids) {
      const entry = entryOf(id);
      const recorded = (entry.pin.sidecars ?? []).map((s) => s.image).sort();
      expect(recorded, id).toEqual([...new Set(sidecarImagesOf(entry))].sort());
    }
  });

  test("Meilisearch's version-bound data: any version change is refused (dump first)", () => {
    expect(entryOf("meilisearch").update_policy).toBe("dump-first");
  });

  test("every entry leaves room for the Docker daemon; Portainer and Jellyfin say what to expect", () => {
    for (const id of ids) expect(entryOf(id).min.memory_mb, id).toBeGreaterThanOrEqual(256);
    expect(entryOf("portainer").description).toContain("a restart of the app is needed");
    expect(entryOf("jellyfin").description).toContain("transcoding is done in software");
  });
});
