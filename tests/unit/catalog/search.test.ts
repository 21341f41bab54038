/** Catalog search: every word must match, the best match first, one slip of the finger forgiven. */
import { beforeAll, describe, expect, test } from "bun:test";
import { CatalogService } from "../../../src/features/catalog/catalog.service.ts";
import { editDistance } from "../../../src/features/catalog/search.ts";

const catalog = new CatalogService();
beforeAll(async () => {
  await catalog.load();
});

const ids = (q: string, category?: string) =>
  catalog.list({ q, ...(category ? { category } : {}) }).map((e) => e.id);

describe("catalog search", () => {
  test.each([
    ["nextclod", "nextcloud"],
    ["vaultwardn", "vaultwarden"],
    ["jelyfin", "jellyfin"],
    ["uptme", "uptime-kuma"],
    ["home asistant", "home-assistant"],
  ])("a typo (%s) still finds %s first", (q, id) => {
    expect(ids(q)[0]).toBe(id);
  });

  test("the name ranks before the tags and the description", () => {
    expect(ids("git")[0]).toBe("gitea");
    expect(ids("photo").slice(0, 2)).toContain("photoprism");
    expect(ids("grafana")[0]).toBe("grafana");
  });

  test("every word must match; short words are not guessed at", () => {
    expect(ids("zzzz")).toEqual([]);
    expect(ids("git zzzz")).toEqual([]);
    expect(ids("xq")).toEqual([]);
  });

  test("the category filter still applies", () => {
    expect(ids("", "monitoring").length).toBeGreaterThan(2);
    for (const id of ids("a", "monitoring")) expect(catalog.get(id)?.category).toBe("monitoring");
  });

  test("edit distance counts an adjacent swap as one", () => {
    expect(editDistance("jellyfin", "jellyfni", 2)).toBe(1);
    expect(editDistance("abc", "abc", 1)).toBe(0);
    expect(editDistance("abcdef", "a", 1)).toBe(2);
  });
});
