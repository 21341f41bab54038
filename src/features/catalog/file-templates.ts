/**
 * Template files of an entry (`files` with `template: true`): `{{NAME}}` placeholders the deploy fills in
 * with the install's values (the ones `.env` gets) before writing the file into the app's volume.
 */
import type { CatalogFile } from "./catalog.schemas.ts";

/** A placeholder of a template file: `{{NAME}}`. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variable names a template's text uses, in order, each once. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** `text` with each placeholder replaced by `fill(name, placeholder)`. */
export function replacePlaceholders(text: string, fill: (name: string, whole: string) => string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => fill(name, whole));
}

/**
 * A template file filled in with the install's values. Every placeholder must have a non-empty value: a
 * file the app reads with a hole in it is refused here rather than written.
 */
export function renderTemplate(file: CatalogFile, values: Readonly<Record<string, string>>): string {
  const missing = placeholdersIn(file.content).filter((n) => !values[n]);
  if (missing.length > 0)
    throw new Error(`${file.volume}/${file.path}: no value for ${missing.map((n) => `{{${n}}}`).join(", ")}`);
  return replacePlaceholders(file.content, (name) => values[name]!);
}
