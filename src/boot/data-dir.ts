/**
 * DATA_DIR holds the database (PGlite's files and WAL carry password hashes), the secret key and the SSH
 * key: owner-only. At start the process umask becomes 077, so everything created from then on (by us or by
 * PGlite) is 0600/0700; a new DATA_DIR is created 0700; an existing one that others can enter, or with
 * entries others can read, is reported with the command that fixes it (we do not change an operator's
 * permissions behind their back).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Walking a PGlite directory costs milliseconds; stop early on something unexpectedly huge. */
const MAX_ENTRIES_CHECKED = 20_000;

export function prepareDataDir(dir: string, log: (line: string) => void): void {
  process.umask(0o077);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  const open = exposedEntries(dir);
  if (open.length === 0) return;
  const sample = open
    .slice(0, 3)
    .map((e) => `${e.path} (${e.mode.toString(8).padStart(4, "0")})`)
    .join(", ");
  log(
    `${open.length} entr${open.length === 1 ? "y" : "ies"} in the data directory ${dir} can be read or entered by other local users, e.g. ${sample}. ` +
      `It holds the database, password hashes and keys: run \`chmod -R go-rwx ${dir}\`.`,
  );
}

/** Entries (the directory itself included) with any group or other permission bit. */
export function exposedEntries(dir: string): { path: string; mode: number }[] {
  const out: { path: string; mode: number }[] = [];
  const stack = [dir];
  let seen = 0;
  while (stack.length && seen < MAX_ENTRIES_CHECKED) {
    const path = stack.pop()!;
    seen++;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    const mode = st.mode & 0o777;
    if (mode & 0o077) out.push({ path, mode });
    if (st.isDirectory()) for (const name of readdirSync(path)) stack.push(join(path, name));
  }
  return out;
}
