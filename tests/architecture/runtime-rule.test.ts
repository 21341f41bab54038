/**
 * `bun run lint` keeps Bun- and Deno-only APIs inside the runtime adapter (biome.json, docs/runtime.md).
 * These tests prove the rule bites: a planted use in a feature fails with the rule's name, the same code in
 * the adapter passes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const planted: string[] = [];

function plant(path: string, source: string): string {
  writeFileSync(join(root, path), source);
  planted.push(path);
  return path;
}

async function lint(path: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["bunx", "biome", "lint", path], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, output: out + err };
}

afterEach(() => {
  for (const path of planted.splice(0)) rmSync(join(root, path), { force: true });
});

describe("the runtime rule", () => {
  test("Bun.sleep in a feature fails lint (noRestrictedGlobals)", async () => {
    const path = plant("src/features/apps/planted-bun.ts", "export const nap = () => Bun.sleep(1);\n");
    const { code, output } = await lint(path);
    expect(code).not.toBe(0);
    expect(output).toContain("noRestrictedGlobals");
    expect(output).toContain("src/core/runtime/");
  });

  test("the Deno global in boot code fails lint (noRestrictedGlobals)", async () => {
    const path = plant("src/boot/planted-deno.ts", "export const pid = () => Deno.pid;\n");
    const { code, output } = await lint(path);
    expect(code).not.toBe(0);
    expect(output).toContain("noRestrictedGlobals");
  });

  test('importing "bun" outside the adapter fails lint (noRestrictedImports)', async () => {
    const path = plant("src/db/planted-import.ts", 'import { $ } from "bun";\nexport const shell = $;\n');
    const { code, output } = await lint(path);
    expect(code).not.toBe(0);
    expect(output).toContain("noRestrictedImports");
  });

  test("the same code inside src/core/runtime/ passes", async () => {
    const path = plant("src/core/runtime/planted-ok.ts", "export const nap = () => Bun.sleep(1);\n");
    expect((await lint(path)).code).toBe(0);
  });
});
