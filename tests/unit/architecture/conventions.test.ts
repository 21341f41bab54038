/**
 * Conventions docs/architecture.md states that no linter checks: each test reads the source tree and names
 * the files that break one, so a change that breaks it fails here with the place to look.
 */
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";

const root = new URL("../../../src/", import.meta.url).pathname;

async function sources(pattern: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for await (const path of new Glob(pattern).scan(root)) {
    out.push({ path: `src/${path}`, text: await Bun.file(root + path).text() });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

describe("conventions of docs/architecture.md", () => {
  test("route handlers (API and web) write no audit row: the services they call do", async () => {
    const handlers = [...(await sources("features/**/*.routes.ts")), ...(await sources("web/**/*.{ts,tsx}"))];
    expect(handlers.length).toBeGreaterThan(20);
    const writing = handlers.filter((f) => /\baudit\.record(Repeated)?\(/.test(f.text)).map((f) => f.path);
    expect(writing).toEqual([]);
  });

  test("only the queue's store writes the jobs table, and the worker loop holds no SQL", async () => {
    const writers = (await sources("**/*.ts"))
      .filter((f) =>
        /\.(insert|update|delete)\(jobs\)|\b(update|insert into|delete from) jobs\b/.test(f.text),
      )
      .map((f) => f.path);
    expect(writers).toEqual(["src/queue/store.ts"]);
    for (const file of ["queue.ts", "context.ts", "registry.ts"]) {
      const text = await Bun.file(`${root}queue/${file}`).text();
      expect(text, `src/queue/${file} imports drizzle-orm`).not.toContain('from "drizzle-orm"');
    }
  });

  test("an error swallowed with .catch(() => {}) says why on the lines above", async () => {
    const silent: string[] = [];
    for (const f of await sources("**/*.{ts,tsx}")) {
      const lines = f.text.split("\n");
      lines.forEach((line, i) => {
        if (!/\.catch\(\(\) => \{\s*\}\)/.test(line)) return;
        const above = lines.slice(Math.max(0, i - 2), i).join("\n");
        if (!/\/\/|\*\//.test(above)) silent.push(`${f.path}:${i + 1}`);
      });
    }
    expect(silent).toEqual([]);
  });
});
