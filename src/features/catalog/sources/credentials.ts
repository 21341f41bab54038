/**
 * Fixed credentials in a store's compose file become secrets generated per install.
 *
 * Stores write many credentials as literal text: CasaOS's WebDAV `PASSWORD: casaos`, a database password set
 * in both the app and its database service (`POSTGRES_PASSWORD: umbrel`, `DB_PASSWORD: umbrel`), or inside a
 * connection URL (`postgres://user:umbrel@db/app`). Imported as written, every install would share that
 * publicly known password. Here each such literal becomes a setting generated at install (`secret`, `generate`:
 * the same mechanism as a built-in entry's generated passwords, stored encrypted with the app's other secrets
 * and shown by "Reveal credentials"), and every place the compose file uses it for the same credential is
 * rewritten to that setting, so the stack still agrees with itself:
 *
 * - the value of every secret-like environment key equal to it (`isSecretKey`, `isFixedSecret`);
 * - the password of every connection URL that carries it (`scheme://user:<literal>@host`);
 * - a password argument in a command, entrypoint or health check (`--requirepass x`, `--password=x`,
 *   `redis-cli auth x`, `-px`, `PGPASSWORD=x`, the next item after such a flag in a list).
 *
 * A literal that is also written anywhere else (a shipped file, a command argument that is not a password
 * flag, part of a longer value) cannot be rewritten with certainty: the app is refused with that reason, since
 * a half-rewritten stack does not start and a kept literal keeps the public password. A literal that also
 * names something (a user or database name equal to it, `POSTGRES_USER: affine`) leaves those names alone.
 *
 * A setting whose default is the fixed value (`${DB_PASSWORD:-sftpgo}` under a secret-like key) is generated
 * the same way (`generateDefaults`), as Runtipi's password fields with a default already are (runtipi.ts).
 */
import type { Generator } from "../catalog.schemas.ts";
import type { StoreField } from "./model.ts";
import { escapeRegExp, reference } from "./vars.ts";
import { isRecord } from "./yaml.ts";

/** The last word of a key that names a secret (`DB_PASSWORD`, `database__connection__password`, `APP_KEY`). */
const SECRET_WORD =
  /^(?:(?!(?:BY|COM|OVER|SUR|TRES)PASS)[A-Z]*PASS(?:WORD|WD|PHRASE)?S?|PWD|SECRETS?|SECRETKEY|TOKENS?|KEYS?|APIKEY|SALT)$/;
/** Keys whose value is public by design: a site key, a public key. */
const PUBLIC_WORD = /^(?:SITE|PUBLIC|PUBLISHABLE)$/;

/** Whether an environment key names a secret (its last word; `SECRET_KEY_BASE` too). */
export function isSecretKey(key: string): boolean {
  const words = key
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  if (words.length === 0) return false;
  const last = words[words.length - 1]!;
  if (last === "BASE" && words.slice(-3, -1).join("_") === "SECRET_KEY") return true;
  if (!SECRET_WORD.test(last)) return false;
  return !(words.length > 1 && PUBLIC_WORD.test(words[words.length - 2]!));
}

/**
 * Values of a secret-like key that are no credential: empty, a reference, a switch or a small count, a file
 * path (`*_KEY: /run/secrets/key`, `%kernel.project_dir%/jwt.pem`), a URL, and the two placeholders stores
 * use for "set elsewhere": LibreChat's `user_provided` (each user enters their own key) and Cloudflare's
 * published Turnstile test keys (`1x0000…AA`, which always pass; a random one would fail every check).
 */
export function isFixedSecret(value: string): boolean {
  const v = value.trim();
  if (v === "" || v === "''" || v === '""') return false;
  if (v.replaceAll("$$", "").includes("$")) return false; // a reference: its value comes from elsewhere
  if (/^(?:true|false|yes|no|on|off|null|none|enabled?|disabled?)$/i.test(v)) return false;
  if (/^\d{1,4}$/.test(v)) return false;
  if (/^(?:[.~]?\/|%[\w.]+%\/)/.test(v) || /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return false;
  if (v === "user_provided" || /^[123]x0{15,}AA$/.test(v)) return false;
  return true;
}

/** Words a command uses before a password: `--requirepass`, `--password`, `-a` (redis-cli), `auth`. */
const PASSWORD_FLAG = /^(?:--?[A-Za-z-]*(?:pass|pwd|secret|token|key)[A-Za-z-]*|-a|auth|AUTH)$/;

/**
 * Where a literal stands as itself, not inside a longer word or name (`casaos` in `casaos.local`, `ragflow` in
 * `ragflow-mysql` are other things).
 */
function token(literal: string): string {
  return `(?<![A-Za-z0-9_.-])${escapeRegExp(literal)}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])`;
}

/** The password of every `scheme://user:password@` in a text (no reference in it). */
function urlPasswords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@$'"]*:([^\s@/$'"]+)@/g)) out.push(m[1]!);
  return out;
}

/**
 * `text` with every password position holding `literal` written as `replacement`: a URL's password, a
 * password flag's argument (`--requirepass x`, `--password=x`, `redis-cli -a x`, `auth x`, `-px`), a
 * credential key's value inside a longer text (`PGPASSWORD=x`, `password: x` in a YAML or JSON blob,
 * `Password=x;`), a query parameter (`?u=user&p=x`).
 */
function rewritePositions(text: string, literal: string, replacement: string): string {
  const lit = escapeRegExp(literal);
  const end = "(?![A-Za-z0-9_])";
  // Every pattern has three groups: before, a quote, after. The key words match in any case, the literal only
  // as it is written.
  const put = (whole: string, before: string, _quote: string, after: string) =>
    whole.slice(before.length, before.length + literal.length) === literal
      ? `${before}${replacement}${after}`
      : whole;
  return text
    .replace(new RegExp(`([A-Za-z][A-Za-z0-9+.-]*://[^\\s/:@$'"]*:)()${lit}()(?=@)`, "g"), put)
    .replace(
      new RegExp(
        `((?:^|\\s)(?:--?[A-Za-z-]*(?:pass|pwd|secret|token|key)[A-Za-z-]*|-a|auth|AUTH)(?:=|\\s+)(['"]?))${lit}(\\2)${end}`,
        "g",
      ),
      put,
    )
    .replace(new RegExp(`((?:^|\\s)-p)()${lit}()${end}`, "g"), put)
    .replace(
      new RegExp(
        `((?:^|[\\s{,;"'])[A-Za-z0-9_.-]*(?:password|passwd|pass|pwd|secret|token|key)["']?[ \\t]*[:=][ \\t]*(['"]?))${lit}(\\2)${end}`,
        "gi",
      ),
      put,
    )
    .replace(new RegExp(`([?&](?:p|pw|pass|password|pwd)=)()${lit}()(?=&|$|[\\s"'#])`, "g"), put);
}

/** A command, entrypoint or health check test, with the literal's password positions rewritten. */
function rewriteCommand(value: unknown, literal: string, replacement: string): unknown {
  if (typeof value === "string") return rewritePositions(value, literal, replacement);
  if (Array.isArray(value))
    return value.map((item, i) => {
      if (typeof item !== "string") return item;
      const prev = value[i - 1];
      if (item === literal && typeof prev === "string" && PASSWORD_FLAG.test(prev)) return replacement;
      return rewritePositions(item, literal, replacement);
    });
  if (isRecord(value) && "test" in value)
    return { ...value, test: rewriteCommand(value.test, literal, replacement) };
  return value;
}

const COMMAND_KEYS = ["command", "entrypoint", "healthcheck"] as const;

/** The generator whose values look like the store's (a Laravel key must keep its 32 characters). */
function generatorFor(literal: string, inUrl: boolean): Generator {
  if (literal.length === 32) return "hex32";
  if (!inUrl && literal.length === 44 && /^[A-Za-z0-9+/]{43}=$/.test(literal)) return "base64_32";
  if (literal.length > 24) return "hex64";
  return "password";
}

/** An environment name made from a compose key (`database__connection__password` → `DATABASE__CONNECTION__PASSWORD`). */
function envName(key: string): string {
  const n = key.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  return /^[A-Z_]/.test(n) ? n.slice(0, 60) : `S_${n}`.slice(0, 60);
}

export interface FixedSecretFile {
  path: string;
  content: string;
  encoding?: string | undefined;
}

export interface FixedSecrets {
  /** The generated settings, one per distinct fixed value. */
  fields: StoreField[];
  notes: string[];
  /** Why the app cannot be imported (a fixed value also written where it cannot be rewritten). */
  reasons: string[];
}

interface Use {
  service: string;
  key: string;
}

/**
 * Replace every fixed secret of `services` (already in Proximity's compose form) by a generated setting.
 * `taken` says whether a setting name is already used by the entry.
 */
export function replaceFixedSecrets(
  services: Record<string, Record<string, unknown>>,
  files: readonly FixedSecretFile[],
  taken: (name: string) => boolean,
): FixedSecrets {
  const out: FixedSecrets = { fields: [], notes: [], reasons: [] };
  // 1. The fixed values, in the order the compose file has them; and the values that name something.
  const literals = new Map<string, { uses: Use[]; inUrl: boolean }>();
  const names = new Set<string>();
  const envOf = (svc: Record<string, unknown>): Record<string, string> =>
    isRecord(svc.environment) ? (svc.environment as Record<string, string>) : {};
  for (const [service, svc] of Object.entries(services)) {
    for (const [key, raw] of Object.entries(envOf(svc))) {
      const value = String(raw);
      if (isSecretKey(key) && isFixedSecret(value)) {
        const entry = literals.get(value) ?? { uses: [], inUrl: false };
        entry.uses.push({ service, key });
        literals.set(value, entry);
      } else if (!isSecretKey(key)) names.add(value);
      for (const pw of urlPasswords(value)) {
        const entry = literals.get(pw) ?? { uses: [], inUrl: false };
        entry.inUrl = true;
        literals.set(pw, entry);
      }
    }
  }
  for (const name of Object.keys(services)) names.add(name);
  if (literals.size === 0) return out;

  // 2. Each becomes a setting; every use of it for the credential is rewritten to that setting.
  const chosen = new Set<string>();
  for (const [literal, { uses, inUrl }] of literals) {
    const first = uses[0]?.key ?? urlKey(services, literal) ?? "PASSWORD";
    const base = envName(uses.length > 0 ? first : `${first}_PASSWORD`);
    let name = base;
    for (let n = 2; taken(name) || chosen.has(name); n++) name = `${base}_${n}`;
    chosen.add(name);
    const ref = reference(name);
    const where = new Set<string>();
    for (const [service, svc] of Object.entries(services)) {
      const env = envOf(svc);
      for (const [key, raw] of Object.entries(env)) {
        const value = String(raw);
        const next = isSecretKey(key) && value === literal ? ref : rewritePositions(value, literal, ref);
        if (next !== value) {
          env[key] = next;
          where.add(`${service} ${key}`);
        }
      }
      for (const key of COMMAND_KEYS) {
        if (svc[key] === undefined) continue;
        const before = JSON.stringify(svc[key]);
        svc[key] = rewriteCommand(svc[key], literal, ref);
        if (JSON.stringify(svc[key]) !== before) where.add(`${service} ${key}`);
      }
    }
    // 3. Anything left is a use Proximity cannot rewrite with certainty (unless the text also names a user,
    //    a database or a service: then what is left are those names).
    const leftover = names.has(literal) ? undefined : leftoverUse(services, files, literal);
    if (leftover) {
      out.reasons.push(
        `its fixed credential ${uses[0]?.key ?? "in a connection URL"} is also written in ${leftover}, where it cannot be replaced by a generated one (a public default credential is never imported)`,
      );
      continue;
    }
    const list = [...where];
    out.fields.push({
      name,
      description:
        `Generated at install: the store sets a fixed, publicly known value here (${list.join(", ")})`.slice(
          0,
          500,
        ),
      secret: true,
      generate: generatorFor(literal, inUrl),
    });
    out.notes.push(
      `${name}: the store's fixed credential (${list.join(", ")}) is replaced by one generated at install; Reveal credentials on the app's page shows it`,
    );
  }
  return out;
}

/** The key of the first connection URL carrying `literal` as its password. */
function urlKey(services: Record<string, Record<string, unknown>>, literal: string): string | undefined {
  for (const svc of Object.values(services)) {
    if (!isRecord(svc.environment)) continue;
    for (const [key, value] of Object.entries(svc.environment))
      if (urlPasswords(String(value)).includes(literal)) return key;
  }
  return undefined;
}

/** Where `literal` still stands as a word: an environment value, a command, a health check, a shipped file. */
function leftoverUse(
  services: Record<string, Record<string, unknown>>,
  files: readonly FixedSecretFile[],
  literal: string,
): string | undefined {
  const re = new RegExp(token(literal));
  // The references written in its place are not uses (`${PASSWORD}` for the literal `PASSWORD`).
  const test = (text: string) => re.test(text.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, " "));
  for (const [service, svc] of Object.entries(services)) {
    if (isRecord(svc.environment))
      for (const [key, value] of Object.entries(svc.environment))
        if (test(String(value))) return `service ${service} ${key}`;
    for (const key of COMMAND_KEYS)
      if (svc[key] !== undefined && test(JSON.stringify(svc[key]))) return `service ${service} ${key}`;
  }
  for (const file of files) {
    if (file.encoding === "base64") continue;
    if (test(file.content)) return `the file ${file.path}`;
  }
  return undefined;
}

/** A `key: value` / `key = value` line whose key names a credential (a commented-out line never matches). */
const FILE_LINE =
  /^[ \t]*["']?([A-Za-z0-9_.-]*(?:password|passwd|pass|pwd|secret|token|key)[A-Za-z0-9_]*)["']?[ \t]*[:=][ \t]*["']?([^"'\s,;]*)/gim;

/** The fixed secrets of a file's `key: value` lines: the key as written, the value and where it starts. */
function fileSecrets(content: string): { key: string; value: string; at: number }[] {
  const out: { key: string; value: string; at: number }[] = [];
  for (const m of content.matchAll(FILE_LINE)) {
    const key = m[1]!.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
    // A bare `key:` is any mapping's key in a file (`key: value`), not a credential's name.
    if (/^keys?$/i.test(key)) continue;
    const value = m[2]!;
    if (isSecretKey(key) && !value.includes("{{") && isFixedSecret(value))
      out.push({ key: m[1]!, value, at: m.index + m[0].length - value.length });
  }
  return out;
}

/**
 * A file the store ships (not a template) whose own secret is fixed text (nitter.conf's `hmacKey =
 * "secretkey"`, Donetick's JWT `secret:`) becomes a template: each such value is written as `{{NAME}}` of a
 * setting generated at install, filled in at the first deploy (the deploy writes a template that holds a
 * secret for its owner only, mode 0600: seed-files.ts). A file that already has `{{` in it is not made one
 * (its own braces would be read as placeholders): refused, with the reason. Returns undefined when the file
 * has no fixed secret.
 */
export function templateFileSecrets(
  content: string,
  path: string,
  taken: (name: string) => boolean,
): { content: string; fields: StoreField[]; note: string } | { refusal: string } | undefined {
  const found = fileSecrets(content);
  if (found.length === 0) return undefined;
  if (content.includes("{{"))
    return {
      refusal: `its file ${path} ships a fixed secret (${found[0]!.key}) and already uses {{…}}, so it cannot be filled in with a generated one (a public default credential is never imported)`,
    };
  const names = new Map<string, string>(); // literal → setting
  const fields: StoreField[] = [];
  let out = "";
  let from = 0;
  for (const { key, value, at } of found) {
    let name = names.get(value);
    if (!name) {
      const base = envName(key.replace(/([a-z0-9])([A-Z])/g, "$1_$2"));
      name = base;
      for (let n = 2; taken(name) || names.has(name) || fields.some((f) => f.name === name); n++)
        name = `${base}_${n}`;
      names.set(value, name);
      fields.push({
        name,
        description: `Generated at install: the store's file ${path} sets ${key} to a fixed, publicly known value`,
        secret: true,
        // Written into a file of unknown syntax: never base64's `+/=`.
        generate: generatorFor(value, true),
      });
    }
    out += `${content.slice(from, at)}{{${name}}}`;
    from = at + value.length;
  }
  out += content.slice(from);
  return {
    content: out,
    fields,
    note: `the file ${path}: ${[...names.values()].join(", ")} replace${names.size === 1 ? "s" : ""} the store's fixed ${found.map((f) => f.key).join(", ")}, generated at install and written into it at the first deploy (for its owner only); Reveal credentials on the app's page shows ${names.size === 1 ? "it" : "them"}`,
  };
}

/**
 * A setting used as the whole value of a secret-like key whose default is a fixed credential (a store's
 * `${DB_PASSWORD:-sftpgo}`) is generated instead. Returns the names changed.
 */
export function generateDefaults(
  services: Record<string, Record<string, unknown>>,
  used: Map<string, StoreField>,
): string[] {
  const changed: string[] = [];
  for (const svc of Object.values(services)) {
    if (!isRecord(svc.environment)) continue;
    const env = svc.environment as Record<string, unknown>;
    for (const [key, value] of Object.entries(env)) {
      if (!isSecretKey(key)) continue;
      const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^$}]*)?\}$/.exec(String(value));
      const field = m ? used.get(m[1]!) : undefined;
      if (!field) continue;
      if (field.generate === undefined) {
        if (field.default === undefined || !isFixedSecret(field.default)) continue;
        const generated: StoreField = {
          ...field,
          secret: true,
          generate: generatorFor(field.default, true),
          description: `${field.name}: generated at install (the store's default for it is a fixed, publicly known value)`,
        };
        // A generated value has no default, is never required, and is not held to a pattern the store gave.
        delete generated.default;
        delete generated.required;
        delete generated.pattern;
        delete generated.pattern_message;
        used.set(field.name, generated);
        changed.push(field.name);
      }
      // The store's fallback is never used now (the setting always has a value): it is not written either.
      env[key] = reference(field.name);
    }
  }
  return changed;
}
