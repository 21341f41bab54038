/**
 * The architecture tests plant violations in a temporary copy of the tree, never in `src/` itself: the suite
 * runs files in parallel, and a planted file in `src/` would break every other test that lints or imports it.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const repoRoot = join(import.meta.dir, "../../..");

export interface TreeCopy {
  root: string;
  plant(path: string, source: string): string;
  remove(): void;
}

/** Copies `paths` (relative to the repository) into a temporary directory with node_modules linked. */
export function copyTree(paths: string[]): TreeCopy {
  const root = mkdtempSync(join(tmpdir(), "proximity-arch-"));
  for (const path of paths) cpSync(join(repoRoot, path), join(root, path), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"));
  return {
    root,
    plant(path, source) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), source);
      return path;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export async function run(cmd: string[], cwd: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, output: out + err };
}
