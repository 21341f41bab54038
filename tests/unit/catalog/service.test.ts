/** CatalogService: search, categories, and the operator's directory (override, additions, invalid files). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATEGORY_IDS } from "../../../src/features/catalog/catalog.schemas.ts";
import { CatalogService } from "../../../src/features/catalog/catalog.service.ts";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";

/** System entries (the managed proxy) load but are neither listed nor counted. */
const listedCount = Object.values(BUILTIN_CATALOG_FILES).filter((t) => !/^system: true$/m.test(t)).length;
const builtinCount = listedCount;

describe("search and categories (built-ins)", () => {
  const catalog = new CatalogService({ log: () => {} });
  beforeAll(async () => {
    const report = await catalog.load();
    expect(report).toEqual({ loaded: builtinCount, skipped: [], overridden: [] });
  });

  test("list() returns everything sorted by name, case-insensitively", () => {
    const names = catalog.list().map((e) => e.name);
    expect(names).toHaveLength(listedCount);
    expect(catalog.list().map((e) => e.id)).not.toContain("proximity-proxy");
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })));
  });

  test("q matches the name case-insensitively, the name's match first", () => {
    expect(catalog.list({ q: "JellyFin" }).map((e) => e.id)).toEqual(["jellyfin", "seerr"]); // Seerr serves Jellyfin
    expect(catalog.list({ q: "GITEA" }).map((e) => e.id)).toEqual(["gitea", "forgejo"]); // Forgejo mentions Gitea
  });

  test("q matches the description", () => {
    const ids = catalog.list({ q: "soft fork" }).map((e) => e.id);
    expect(ids).toEqual(["forgejo"]);
  });

  test("q matches tags", () => {
    const ids = catalog.list({ q: "mqtt" }).map((e) => e.id);
    expect(ids).toContain("node-red");
    expect(ids).toContain("home-assistant");
  });

  test("every word of q must match (in any field)", () => {
    expect(catalog.list({ q: "recipes  MEAL" }).map((e) => e.id)).toEqual(["mealie"]);
    expect(catalog.list({ q: "recipes jellyfin" })).toEqual([]);
  });

  test("an empty or blank q returns everything", () => {
    expect(catalog.list({ q: "" })).toHaveLength(listedCount);
    expect(catalog.list({ q: "   " })).toHaveLength(listedCount);
  });

  test("category filters exactly (case-insensitive), and combines with q", () => {
    const dbs = catalog.list({ category: "databases" });
    expect(dbs.length).toBeGreaterThanOrEqual(2);
    expect(dbs.every((e) => e.category === "databases")).toBe(true);
    expect(catalog.list({ category: "DATABASES" })).toEqual(dbs);
    expect(catalog.list({ category: "databases", q: "postgresql" }).map((e) => e.id)).toContain("pgadmin");
    expect(catalog.list({ category: "media", q: "pgadmin" })).toEqual([]);
    expect(catalog.list({ category: "games" })).toEqual([]);
  });

  test("categories(): id, display name and count; counts add up", () => {
    const categories = catalog.categories();
    expect(categories.map((c) => c.id)).toEqual([...CATEGORY_IDS]);
    expect(categories.find((c) => c.id === "home-automation")!.name).toBe("Home Automation");
    expect(categories.reduce((n, c) => n + c.count, 0)).toBe(listedCount);
    for (const c of categories) expect(c.count).toBe(catalog.list({ category: c.id }).length);
  });

  test("get() by id, undefined when unknown", () => {
    expect(catalog.get("nextcloud")?.name).toBe("Nextcloud");
    expect(catalog.source("nextcloud")).toBe("builtin");
    expect(catalog.get("nope")).toBeUndefined();
  });

  test("before load(), the built-ins are served", () => {
    const fresh = new CatalogService({ log: () => {} });
    expect(fresh.get("gitea")?.id).toBe("gitea");
    expect(fresh.size).toBe(listedCount);
  });
});

describe("operator directory", () => {
  let dir: string;
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "proximity-catalog-"));
    // Override a built-in: same id, another version.
    await writeFile(
      join(dir, "gitea.yaml"),
      // An operator pins another image tag (the version must follow: it names the tag).
      BUILTIN_CATALOG_FILES.gitea!.replace(/version: "[^"]+"/, 'version: "1.99.0"').replace(
        /gitea\/gitea:[^\s]+-rootless/,
        "gitea/gitea:1.99.0-rootless",
      ),
    );
    // A new app of the operator's own (.yml works too).
    await writeFile(
      join(dir, "whoami.yml"),
      `id: whoami
name: Whoami
version: "1.11.0"
description: Tiny HTTP server that prints request information.
category: tools
tags: [debug, http]
icon: https://example.com/whoami.svg
website: https://github.com/traefik/whoami
os_template: alpine-3.22
min: { cores: 1, memory_mb: 256, disk_gb: 1 }
ports:
  - { name: http, container: 80, primary: true }
compose: |
  services:
    whoami:
      image: traefik/whoami:v1.11.0
      ports: ["80:80"]
healthcheck: { port: 80, first_boot: { path: / }, later: { path: / } }
pin: { verified: "2026-11-29", source: "https://github.com/traefik/whoami/releases" }
update_policy: any
upgrade: Stateless.
`,
    );
    // Invalid: two primary ports.
    await writeFile(
      join(dir, "broken.yaml"),
      BUILTIN_CATALOG_FILES.forgejo!.replace("id: forgejo", "id: broken").replace(
        "{ name: ssh, container: 2222, protocol: tcp }",
        "{ name: ssh, container: 2222, protocol: tcp, primary: true }",
      ),
    );
    // Invalid: id does not match the file name.
    await writeFile(join(dir, "renamed.yaml"), BUILTIN_CATALOG_FILES.adminer!);
    // Not YAML at all.
    await writeFile(join(dir, "garbage.yaml"), "id: [unclosed\n");
    // Ignored: other extensions and subdirectories.
    await writeFile(join(dir, "README.txt"), "not a catalog file");
    await mkdir(join(dir, "sub.yaml"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("operator files add and override entries; invalid files are skipped with a log line", async () => {
    const catalog = new CatalogService({ operatorDir: dir, log });
    const report = await catalog.load();

    expect(report.overridden).toEqual(["gitea"]);
    expect(report.loaded).toBe(builtinCount + 1);
    expect(report.skipped.map((s) => s.file).sort()).toEqual(
      [join(dir, "broken.yaml"), join(dir, "garbage.yaml"), join(dir, "renamed.yaml")].sort(),
    );

    expect(catalog.get("gitea")?.version).toBe("1.99.0");
    expect(catalog.source("gitea")).toBe("operator");
    expect(catalog.get("whoami")?.ports[0]?.protocol).toBe("tcp");
    expect(catalog.list({ q: "whoami" }).map((e) => e.id)).toEqual(["whoami"]);
    expect(catalog.get("broken")).toBeUndefined();
    expect(catalog.get("adminer")?.id).toBe("adminer"); // the built-in is untouched

    const broken = report.skipped.find((s) => s.file.endsWith("broken.yaml"))!;
    expect(broken.reason).toBe("ports: exactly one port must be primary (found 2)");
    const brokenLog = logs.find((l) => l.includes("broken.yaml"))!;
    expect(brokenLog).toContain(join(dir, "broken.yaml"));
    expect(brokenLog).toContain("exactly one port must be primary");
    expect(logs.find((l) => l.includes("renamed.yaml"))).toContain('does not match the file name "renamed"');
    expect(logs.find((l) => l.includes("garbage.yaml"))).toContain("not valid YAML");
    expect(logs.some((l) => l.includes("overrides built-in app gitea"))).toBe(true);
    expect(logs.some((l) => l.includes("README.txt") || l.includes("sub.yaml"))).toBe(false);
  });

  test("reload picks up changes and removals", async () => {
    const catalog = new CatalogService({ operatorDir: dir, log: () => {} });
    await catalog.load();
    expect(catalog.get("whoami")).toBeDefined();
    const tools = () => catalog.categories().find((c) => c.id === "tools")!.count;
    const before = tools();
    await rm(join(dir, "whoami.yml"));
    const report = await catalog.load();
    expect(catalog.get("whoami")).toBeUndefined();
    expect(report.loaded).toBe(builtinCount);
    expect(tools()).toBe(before - 1); // the counts follow the catalog (kept per load, not per request)
  });

  test("a missing directory is not an error", async () => {
    const quiet: string[] = [];
    const catalog = new CatalogService({
      operatorDir: join(dir, "does-not-exist"),
      log: (m) => quiet.push(m),
    });
    const report = await catalog.load();
    expect(report).toEqual({ loaded: builtinCount, skipped: [], overridden: [] });
    expect(quiet).toEqual([]);
  });

  test("an invalid built-in is skipped with a log line, never fatal", async () => {
    const lines: string[] = [];
    const catalog = new CatalogService({
      log: (m) => lines.push(m),
      builtinFiles: { adminer: BUILTIN_CATALOG_FILES.adminer!, bad: "id: bad\nname: Bad\n" },
    });
    const report = await catalog.load();
    expect(report.loaded).toBe(1);
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0]!.file).toBe("bad");
    expect(lines[0]).toStartWith("catalog: skipping builtin file bad: ");
  });
});
