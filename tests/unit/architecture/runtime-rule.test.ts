/**
 * `bun run lint` keeps Bun- and Deno-only APIs inside the runtime adapter (biome.json, docs/runtime.md).
 * These tests prove the rule bites: a planted use in a feature fails with the rule's name, the same code in
 * the adapter passes. Files are planted in a temporary copy with the project's biome.json (copy.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { copyTree, repoRoot, run, type TreeCopy } from "./copy.ts";

let tree: TreeCopy;
beforeAll(() => {
  tree = copyTree(["biome.json", ".gitignore"]);
});
afterAll(() => tree.remove());

const lint = (path: string) => run([join(repoRoot, "node_modules/.bin/biome"), "lint", path], tree.root);

describe("the runtime rule", () => {
  test("Bun.sleep in a feature fails lint (noRestrictedGlobals)", async () => {
    const path = tree.plant("src/features/apps/planted-bun.ts", "export const nap = () => Bun.sleep(1);\n");
    const { code, output } = await lint(path);
    expect(code).not.toBe(0);
    expect(output).toContain("noRestrictedGlobals");
    expect(output).toContain("src/core/runtime/");
  });

  test("the Deno global in boot code fails lint (noRestrictedGlobals)", async () => {
    const path = tree.plant("src/boot/planted-deno.ts", "export const pid = () => Deno.pid;\n");
    const { code, output } = await lint(path);
    expect(code).not.toBe(0);
    expect(output).toContain("noRestrictedGlobals");
  });

  test('importing "bun" outside the adapter fails lint (noRestrictedImports)', async () => {
    const path = tree.plant(
      "src/db/planted-import.ts",
      'import { $ } from "bun";\nexport const shell = $;\n',
    );
    const { code, output } = await lint(path);
    expect(code).not.toBe(0);
    expect(output).toContain("noRestrictedImports");
  });

  test("the same code inside src/core/runtime/ passes", async () => {
    const path = tree.plant("src/core/runtime/planted-ok.ts", "export const nap = () => Bun.sleep(1);\n");
    expect((await lint(path)).code).toBe(0);
  });
});
