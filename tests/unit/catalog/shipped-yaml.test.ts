/**
 * The built-in catalog is parsed at start by the runtime's native YAML parser (yaml-parsers.ts), which accepts
 * duplicate keys and several documents where the strict parser refuses them, and skips the entry's
 * cross-field rules. Every shipped file — and every compose document in it — must therefore read the same
 * through both, pass the rules, and load into the same entries.
 */
import { describe, expect, test } from "bun:test";
import { loadBuiltinCatalog } from "../../../src/features/catalog/catalog.loader.ts";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";
import { shippedYaml, strictYaml } from "../../../src/features/catalog/yaml-parsers.ts";

const files = Object.entries(BUILTIN_CATALOG_FILES);

describe("shipped catalog files under the fast YAML parser", () => {
  test("the fast parser is the runtime's own under Bun", () => {
    expect(shippedYaml).not.toBe(strictYaml);
  });

  test.each(files)("%s reads the same through both parsers, its compose document too", (_file, text) => {
    const strict = strictYaml(text) as { compose?: unknown };
    expect(shippedYaml(text)).toEqual(strict);
    expect(typeof strict.compose).toBe("string");
    const compose = strict.compose as string;
    expect(shippedYaml(compose)).toEqual(strictYaml(compose));
  });

  test("a duplicate key, which the fast parser would let through, is refused by the strict one", () => {
    expect(() => strictYaml("id: a\nid: b\n")).toThrow(/unique/);
    expect(shippedYaml("id: a\nid: b\n")).toEqual({ id: "b" });
  });

  test("the built-in catalog loads into the same entries as with the strict parser and every rule", () => {
    const skipped: string[] = [];
    const fast = loadBuiltinCatalog((line) => skipped.push(line));
    // A copy of the files is not "shipped": it goes through the strict parser and the cross-field rules,
    // which a start skips for the shipped files (entry-rules.ts `parseCatalogFile`).
    const strict = loadBuiltinCatalog((line) => skipped.push(line), { ...BUILTIN_CATALOG_FILES });
    expect(skipped).toEqual([]);
    expect(fast.entries.length).toBe(files.length);
    expect(fast.entries).toEqual(strict.entries);
  });
});
