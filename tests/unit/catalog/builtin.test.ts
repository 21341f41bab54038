/** The built-in catalog: every file validates, the embedded index is complete, and the stacks interpolate. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { catalogIndexSource } from "../../../scripts/gen-catalog-index.ts";
import { CATEGORY_IDS, type CatalogEntry } from "../../../src/features/catalog/catalog.schemas.ts";
import { generateSecrets, interpolate, resolveEnvironment } from "../../../src/features/catalog/compose.ts";
import { parseCompose } from "../../../src/features/catalog/compose-policy.ts";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";
import { BRANDS } from "../../../src/features/catalog/icons/brands.gen.ts";

const APPS_DIR = join(import.meta.dir, "../../../src/features/catalog/entries");
const yamlFiles = readdirSync(APPS_DIR)
  .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
  .sort();

function entryOf(id: string): CatalogEntry {
  const result = parseCatalogFile(BUILTIN_CATALOG_FILES[id]!, id);
  if (!result.ok) throw new Error(`${id}: ${result.issues.join("; ")}`);
  return result.entry;
}

describe("every built-in catalog file validates", () => {
  for (const file of yamlFiles) {
    test(file, () => {
      const id = file.replace(/\.ya?ml$/, "");
      const text = BUILTIN_CATALOG_FILES[id];
      expect(text, `${file} is not in src/features/catalog/entries/index.ts`).toBeString();
      const result = parseCatalogFile(text!, id);
      if (!result.ok) throw new Error(`${file}: ${result.issues.join("; ")}`);
      expect(result.entry.id).toBe(id);
    });
  }
});

describe("embedded index", () => {
  test("lists every YAML file of src/features/catalog/entries (and nothing else)", () => {
    const ids = yamlFiles.map((f) => f.replace(/\.ya?ml$/, ""));
    expect(Object.keys(BUILTIN_CATALOG_FILES).sort()).toEqual(ids);
  });

  test("the embedded text is the file's text", async () => {
    for (const file of yamlFiles) {
      const id = file.replace(/\.ya?ml$/, "");
      expect(BUILTIN_CATALOG_FILES[id]).toBe(await Bun.file(join(APPS_DIR, file)).text());
    }
  });
});

describe("catalog coverage", () => {
  const entries = Object.keys(BUILTIN_CATALOG_FILES).map(entryOf);

  test("at least 32 apps", () => {
    expect(entries.length).toBeGreaterThanOrEqual(32);
  });

  test("at least two apps in every category", () => {
    for (const category of CATEGORY_IDS) {
      expect(entries.filter((e) => e.category === category).length, category).toBeGreaterThanOrEqual(2);
    }
  });

  test("no image uses latest and every app version appears in its main image tag", () => {
    for (const e of entries) {
      const images = Object.values(parseCompose(e.compose).services).map((s) => String(s.image));
      expect(
        images.some((i) => i.endsWith(":latest")),
        e.id,
      ).toBe(false);
      expect(
        images.some((i) => i.includes(e.version)),
        `${e.id}: version ${e.version} not in ${images.join(", ")}`,
      ).toBe(true);
    }
  });

  test("at least four multi-service stacks", () => {
    const stacks = entries.filter((e) => Object.keys(parseCompose(e.compose).services).length > 1);
    expect(stacks.length).toBeGreaterThanOrEqual(4);
  });
});

/** The services of an interpolated compose document whose definition contains `value`. */
function servicesContaining(doc: Record<string, unknown>, value: string): string[] {
  const services = doc.services as Record<string, unknown>;
  return Object.entries(services)
    .filter(([, svc]) => JSON.stringify(svc).includes(value))
    .map(([name]) => name);
}

describe("multi-service stacks interpolate with generated secrets", () => {
  const stacks = Object.keys(BUILTIN_CATALOG_FILES)
    .map(entryOf)
    .filter((e) => Object.keys(parseCompose(e.compose).services).length > 1);

  for (const entry of stacks) {
    test(entry.id, () => {
      const first = resolveEnvironment(entry, requiredValues(entry), generateSecrets(entry));
      const second = resolveEnvironment(entry, requiredValues(entry), generateSecrets(entry));
      const doc = parseYaml(interpolate(entry.compose, first)) as Record<string, unknown>;
      const text = JSON.stringify(doc);
      expect(text).not.toContain("${");

      const dbPassword = first.DB_PASSWORD;
      if (dbPassword !== undefined) {
        // The same generated password reaches the app and its database — and only the services that use it.
        const users = servicesContaining(doc, dbPassword);
        expect(users.length, `${entry.id}: DB_PASSWORD used by ${users.join(", ")}`).toBeGreaterThanOrEqual(
          2,
        );
        expect(users, `${entry.id}: a cache never gets the database password`).not.toContain("redis");
        expect(users).toContain("db");
        expect(second.DB_PASSWORD).not.toBe(dbPassword);
      }
      // Every generated value lands in at least one service, and two generations never collide.
      for (const e of entry.env.filter((v) => v.generate)) {
        expect(servicesContaining(doc, first[e.name]!).length, `${entry.id}: ${e.name}`).toBeGreaterThan(0);
        expect(second[e.name]).not.toBe(first[e.name]);
      }
    });
  }

  test("the stacks that must exist are there", () => {
    const ids = stacks.map((e) => e.id);
    for (const id of ["gitea", "nextcloud", "paperless-ngx", "wikijs"]) expect(ids).toContain(id);
  });
});

function requiredValues(entry: CatalogEntry): Record<string, string> {
  return Object.fromEntries(
    entry.env.filter((e) => e.required && e.default === undefined).map((e) => [e.name, "admin@example.com"]),
  );
}

describe("single-service apps interpolate too", () => {
  test("every app renders without leftovers", () => {
    for (const id of Object.keys(BUILTIN_CATALOG_FILES)) {
      const entry = entryOf(id);
      const env = resolveEnvironment(entry, requiredValues(entry));
      expect(interpolate(entry.compose, env), id).not.toContain("${");
    }
  });
});

describe("embedded entries", () => {
  test("entries/index.ts is what scripts/gen-catalog-index.ts generates (no file left out or left over)", () => {
    const root = join(import.meta.dir, "../../..");
    const current = readFileSync(join(root, "src/features/catalog/entries/index.ts"), "utf8");
    expect(current, "run bun scripts/gen-catalog-index.ts").toBe(catalogIndexSource());
  });
});

describe("shipped icons", () => {
  test("every entry with a simple-icons mark ships it (the generated file is up to date)", () => {
    const root = join(import.meta.dir, "../../..");
    const check = Bun.spawnSync(["bun", "scripts/gen-icons.ts", "--check"], { cwd: root });
    expect(check.exitCode, check.stdout.toString()).toBe(0);
  });

  test("apps whose mark is filed under another name get it, not a letter tile", () => {
    expect(BRANDS["joplin-server"]?.title).toBe("Joplin");
    expect(BRANDS["wg-easy"]?.title).toBe("WireGuard");
    expect(BRANDS["actual-budget"]?.title).toBe("Actual Budget");
  });
});
