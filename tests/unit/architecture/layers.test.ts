/**
 * The layer rules are enforced by `bun run lint` (scripts/lint-layers.ts). These tests prove the check bites:
 * the tree as it is passes, and each kind of planted violation fails with the rule's name. Violations are
 * planted in a temporary copy of the tree (copy.ts), never in `src/`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyTree, run, type TreeCopy } from "./copy.ts";

let tree: TreeCopy;
beforeAll(() => {
  tree = copyTree([
    "src",
    "scripts/lint-layers.ts",
    ".dependency-cruiser.cjs",
    "tsconfig.json",
    "package.json",
  ]);
});
afterAll(() => tree.remove());

const checkLayers = () => run(["bun", "scripts/lint-layers.ts"], tree.root);

describe("layer rules", () => {
  test("the tree as committed has no violation", async () => {
    const { code, output } = await checkLayers();
    expect(output).toContain("no dependency violations found");
    expect(code).toBe(0);
  }, 60_000);

  test("a back-edge (core importing a feature), a cycle, a reach into another feature's internals and the simulator importing the product all fail", async () => {
    tree.plant(
      "src/core/zz-planted-back-edge.ts",
      'import "../features/apps/index.ts";\nexport const x = 1;\n',
    );
    tree.plant(
      "src/queue/zz-planted-a.ts",
      'import type { B } from "./zz-planted-b.ts";\nexport type A = B;\n',
    );
    tree.plant(
      "src/queue/zz-planted-b.ts",
      'import type { A } from "./zz-planted-a.ts";\nexport type B = A | 1;\n',
    );
    tree.plant("src/features/backups/zz-planted.ts", 'import "../apps/placement.ts";\n');
    tree.plant("src/simulator/zz-planted.ts", 'import "../core/errors.ts";\n');
    const { code, output } = await checkLayers();
    expect(code).not.toBe(0);
    expect(output).toContain(
      "core-is-the-bottom: src/core/zz-planted-back-edge.ts → src/features/apps/index.ts",
    );
    expect(output).toMatch(/no-circular: src\/queue\/zz-planted-[ab]\.ts/);
    expect(output).toContain(
      "feature-public-surface: src/features/backups/zz-planted.ts → src/features/apps/placement.ts",
    );
    expect(output).toContain("simulator-is-isolated: src/simulator/zz-planted.ts → src/core/errors.ts");
  }, 60_000);
});
