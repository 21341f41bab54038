/**
 * The two YAML parsers of the catalog. Parsing the built-in catalog with the yaml package took 0.5–1 s of
 * every start (63 files, and each entry's compose document three times over); the runtime's native parser
 * does the same in tens of milliseconds but accepts duplicate keys and several documents. So:
 *
 * - strictYaml (the yaml package: duplicate keys refused, one document, errors with line and column) for
 *   everything an operator or a catalog source writes;
 * - shippedYaml (the native parser where the runtime has one) for the files shipped with the code, which
 *   tests/unit/catalog/shipped-yaml.test.ts holds to the strict parser's result, file by file.
 *
 * The entry's schema runs on the result either way; its cross-field rules run on a shipped file in the tests
 * only (entry-rules.ts `parseCatalogFile`).
 */
import { parse } from "yaml";
import { runtime } from "../../core/runtime/index.ts";

export type YamlParser = (text: string) => unknown;

export const strictYaml: YamlParser = (text) => parse(text, { uniqueKeys: true });

export const shippedYaml: YamlParser = runtime.parseYaml ?? strictYaml;
