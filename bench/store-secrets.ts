/**
 * Fixed credentials left in the entries imported from real stores (docs/catalog.md "Fixed credentials").
 *
 *   bun bench/store-secrets.ts runtipi=/path/runtipi-appstore.tar.gz casaos=/path/CasaOS-AppStore.tar.gz \
 *     umbrel=/path/umbrel-apps.tar.gz [--list]
 *
 * Per store: apps imported, values replaced by a generated secret at import (from the entries' notes), apps
 * refused for a fixed credential, and what a scan of every imported entry still finds. The scan is wider than
 * the import's own rule, so that it can catch what the rule misses: every environment value whose key merely
 * contains PASS, PWD, SECRET, TOKEN, KEY, SALT or CREDENTIAL (anywhere in the name), every literal password of a
 * URL in any value, every literal after a password flag in a command or health check, every fallback
 * `${X:-text}` under such a key, and every shipped file with a credential-looking line. Each hit is either
 * explained (a key whose last word names no secret, a value that is no credential: a switch, a count, a path,
 * a placeholder the app reads as "none") or counted as unexplained; `--list` prints every hit.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { readDirectory, readTarGz } from "../src/features/catalog/sources/archive.ts";
import { isFixedSecret, isSecretKey } from "../src/features/catalog/sources/credentials.ts";
import { detectFormat, importStore } from "../src/features/catalog/sources/import.ts";

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: { list: { type: "boolean", default: false } },
});
const stores = positionals.map((p) => {
  const i = p.indexOf("=");
  if (i < 1) throw new Error(`expected name=<file|dir>, got ${p}`);
  return { name: p.slice(0, i), location: p.slice(i + 1) };
});
if (stores.length === 0) {
  console.error("usage: bun bench/store-secrets.ts name=<store.tar.gz|dir> … [--list]");
  process.exit(2);
}

const WIDE_KEY = /PASS|PWD|SECRET|TOKEN|KEY|SALT|CREDENTIAL/i;
const URL_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@$'"]*:([^\s@/'"]+)@/g;
const FLAG_ARG =
  /(?:^|\s)(?:--?[A-Za-z-]*(?:pass|password|passwd|pwd|secret|token|key)|-a|auth)(?:=|\s+)['"]?([^\s'"]+)/g;
/** A `key: value` or `key = value` line of a shipped file whose key names a credential (comments skipped). */
const FILE_LINE =
  /^\s*["']?([A-Za-z0-9_.-]*(?:password|passwd|pass|pwd|secret|token|key)[A-Za-z0-9_]*)["']?\s*[:=]\s*["']?([^"'\s,;]*)/gim;

/** Why a wide hit is not a fixed credential, or undefined when nothing explains it. */
function explain(key: string, value: string): string | undefined {
  if (!isSecretKey(key)) return "its key's last word names no secret";
  if (!isFixedSecret(value))
    return "the value is no credential (empty, a reference, a switch, a count, a path, a URL or a placeholder)";
  return undefined;
}

type Service = {
  environment?: Record<string, unknown>;
  command?: unknown;
  entrypoint?: unknown;
  healthcheck?: unknown;
};

const readStore = async (location: string) =>
  location.endsWith(".tar.gz")
    ? await readTarGz(Readable.toWeb(createReadStream(location)) as unknown as ReadableStream<Uint8Array>)
    : await readDirectory(location);

let unexplainedTotal = 0;
for (const s of stores) {
  const files = await readStore(s.location);
  const format = detectFormat(files);
  if (!format) throw new Error(`${s.name}: not a store`);
  const { entries } = importStore(files, s.name, format);
  const imported = entries.filter((e) => e.status === "imported");
  let replaced = 0;
  let defaults = 0;
  let templated = 0;
  let rewrittenUses = 0;
  const replacedIn = new Set<string>();
  for (const e of imported) {
    for (const note of e.reasons) {
      const m =
        /^[A-Z0-9_]+: the store's fixed credential \((.*)\) is replaced by one generated at install/.exec(
          note,
        );
      if (m) {
        replaced++;
        rewrittenUses += m[1]!.split(", ").length;
        replacedIn.add(e.id);
      }
      if (/^the file .*: .* replaces? the store's fixed /.test(note)) {
        templated++;
        replacedIn.add(e.id);
      }
      if (
        /is generated at install \(the store's default for it is a fixed, publicly known value\)/.test(note)
      ) {
        defaults++;
        replacedIn.add(e.id);
      }
    }
  }
  const refusedForIt = entries.filter(
    (e) => e.status === "refused" && e.reasons.some((r) => /fixed (credential|password|secret)/.test(r)),
  );
  const explained = new Map<string, number>();
  const unexplained: string[] = [];
  const hit = (id: string, where: string, why: string | undefined) => {
    if (why) explained.set(why, (explained.get(why) ?? 0) + 1);
    else unexplained.push(`${id}: ${where}`);
    if (values.list) console.log(`  ${why ? "ok " : "!! "} ${id}: ${where}${why ? ` — ${why}` : ""}`);
  };
  for (const e of imported) {
    const doc = parseYaml(e.entry!.compose) as { services: Record<string, Service> };
    for (const [svcName, svc] of Object.entries(doc.services)) {
      const env = svc.environment ?? {};
      for (const [key, raw] of Object.entries(env)) {
        const value = String(raw ?? "");
        if (WIDE_KEY.test(key) && value.trim() !== "" && !/^\$\{[A-Za-z0-9_]+\}$/.test(value)) {
          const fallback = /^\$\{[A-Za-z0-9_]+:?-([^}]*)\}$/.exec(value);
          hit(e.id, `${svcName} ${key}=${value}`, explain(key, fallback ? fallback[1]! : value));
        }
        for (const m of value.matchAll(URL_PASSWORD))
          hit(
            e.id,
            `${svcName} ${key}: URL password ${m[1]}`,
            m[1]!.includes("$") ? "a reference" : undefined,
          );
      }
      for (const k of ["command", "entrypoint", "healthcheck"] as const) {
        if (svc[k] === undefined) continue;
        const text = Array.isArray(svc[k])
          ? (svc[k] as unknown[]).join(" ")
          : typeof svc[k] === "object" && svc[k] !== null
            ? JSON.stringify((svc[k] as { test?: unknown }).test ?? "").replace(/[[\]",]/g, " ")
            : String(svc[k] ?? "");
        for (const m of text.matchAll(FLAG_ARG))
          hit(e.id, `${svcName} ${k}: ${m[0].trim()}`, m[1]!.startsWith("$") ? "a reference" : undefined);
      }
    }
    // A setting with a fixed default under a secret-like name.
    for (const env of e.entry!.env) {
      if (env.default !== undefined && isSecretKey(env.name) && isFixedSecret(env.default))
        hit(e.id, `setting ${env.name} default ${env.default}`, undefined);
    }
    for (const f of e.entry!.files) {
      if (f.encoding === "base64") continue;
      for (const m of f.content.matchAll(FILE_LINE)) {
        // camelCase keys (credentialSecret, tokenCount) are read word by word, like environment keys.
        const key = m[1]!.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
        const value = m[2]!;
        const why = value.includes("{{") ? "a template placeholder" : explain(key, value);
        hit(e.id, `file ${f.path}: ${m[1]}=${value}`, why);
      }
    }
  }
  unexplainedTotal += unexplained.length;
  console.log(`\n${s.name} (${format}): imported ${imported.length} of ${entries.length}`);
  console.log(
    `  fixed values replaced by a generated secret: ${replaced} (${rewrittenUses} uses rewritten), in ${replacedIn.size} apps`,
  );
  console.log(`  settings whose fixed default is now generated: ${defaults}`);
  console.log(`  shipped files whose fixed secret is now a generated one (made templates): ${templated}`);
  console.log(
    `  refused for a fixed credential: ${refusedForIt.length}${refusedForIt.length ? ` (${refusedForIt.map((e) => e.id).join(", ")})` : ""}`,
  );
  for (const [why, n] of explained) console.log(`  left, explained: ${n} × ${why}`);
  console.log(`  left, unexplained: ${unexplained.length}`);
  for (const u of unexplained) console.log(`    ${u}`);
}
console.log(`\nunexplained fixed credentials in all imported entries: ${unexplainedTotal}`);
