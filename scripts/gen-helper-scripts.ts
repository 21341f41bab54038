/**
 * `bun scripts/gen-helper-scripts.ts <ProxmoxVE clone>` → src/features/apps/helper-scripts/slugs.gen.json: one
 * row of facts per container script of the Proxmox VE community helper scripts (github.com/community-scripts/
 * ProxmoxVE, MIT), read from the clone's HEAD with git: the slug (the script's file name, `ct/<slug>.sh`), the
 * app's name (`APP=`), the category (the first of its `var_tags`, the base system's tag aside), the first address it announces when done
 * (`http(s)://${IP}:<port>`; no port means 80 or 443, no address at all means none), and the project's website
 * (the `# Source:` comment). Nothing else of the scripts is kept. Discovery (features/apps/helper-scripts/)
 * uses the table (typed by its table.ts) to name and link the containers those scripts made.
 *
 * Refresh: `git clone --depth 1 https://github.com/community-scripts/ProxmoxVE /tmp/pve-scripts`, run this
 * with that path, then `bun run format`. `--check` compares the shipped table with what the clone gives and
 * exits 1 when they differ (the commit line excepted).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  HELPER_SCRIPT_ROWS,
  type HelperScript,
  type HelperScriptRow,
  rowOf,
} from "../src/features/apps/helper-scripts/table.ts";

const OUT = join(import.meta.dir, "..", "src/features/apps/helper-scripts/slugs.gen.json");

function git(repo: string, ...args: string[]): string {
  const r = spawnSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The facts of one `ct/<slug>.sh`, or null when it is not an app script (no `APP=`). */
export function factsOf(slug: string, text: string): HelperScript | null {
  const name = /^APP="([^"]+)"/m.exec(text)?.[1]?.trim();
  if (!name) return null;
  const tags = /^var_tags="\$\{var_tags:-([^}"]*)\}"/m.exec(text)?.[1] ?? "";
  const category =
    tags
      .split(";")
      .map((t) => t.trim().toLowerCase())
      // "alpine" marks the base system of the alpine-* scripts, not what the app is.
      .find((t) => t && t !== "community-script" && t !== "alpine") ?? null;
  // The addresses the script prints when it is done (after its \`description\` call; earlier ones belong to
  // update notes): the first is the app's own, any further ones are side services (Portainer, an API).
  const done = text.slice(Math.max(0, text.search(/^description\s*$/m)));
  const last = /(https?):\/\/\$\{IP\}(?::(\d{1,5}))?/.exec(done) ?? undefined;
  const https = last?.[1] === "https";
  const port = last ? (last[2] ? Number(last[2]) : https ? 443 : 80) : null;
  const website = /^#\s*Source:\s*(https?:\/\/[^\s|]+)/im.exec(text)?.[1]?.replace(/[),.]+$/, "") ?? null;
  return { slug, name, category, port: port && port < 65536 ? port : null, https, website };
}

function generate(repo: string): { commit: string; rows: HelperScriptRow[] } {
  const commit = git(repo, "rev-parse", "HEAD").trim();
  const files = git(repo, "ls-tree", "--name-only", "HEAD", "ct/")
    .split("\n")
    .filter((f) => /^ct\/[a-z0-9][a-z0-9._-]*\.sh$/.test(f));
  const rows: HelperScript[] = [];
  for (const f of files) {
    const slug = f.slice(3, -3);
    const facts = factsOf(slug, git(repo, "show", `HEAD:${f}`));
    if (facts) rows.push(facts);
  }
  rows.sort((a, b) => a.slug.localeCompare(b.slug));
  return { commit, rows: rows.map(rowOf) };
}

/** The commit the rows were read at, then one row a line (`bun run format` wraps the longest). */
function render(commit: string, rows: HelperScriptRow[]): string {
  const lines = rows.map((r) => `    ${JSON.stringify(r)}`);
  return `{\n  "commit": ${JSON.stringify(commit)},\n  "rows": [\n${lines.join(",\n")}\n  ]\n}\n`;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const repo = args.find((a) => !a.startsWith("--"));
  if (!repo) {
    console.error("usage: bun scripts/gen-helper-scripts.ts [--check] <path to a ProxmoxVE clone>");
    process.exit(2);
  }
  const { commit, rows } = generate(repo);
  if (check) {
    // The rows, not the text: the shipped file is formatted by biome.
    const same = JSON.stringify(HELPER_SCRIPT_ROWS) === JSON.stringify(rows);
    console.log(
      same ? `up to date (${rows.length} scripts)` : "the table differs from the clone: regenerate it",
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUT, render(commit, rows));
  console.log(`${rows.length} scripts at ${commit.slice(0, 12)} → ${OUT}`);
}
