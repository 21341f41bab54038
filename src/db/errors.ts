/** PostgreSQL error codes, read through Drizzle's wrapping (the driver error is somewhere in `cause`). */
function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** unique_violation: the row conflicts with an existing one (taken name, hostname, VMID …). */
export function isUniqueViolation(err: unknown): boolean {
  return pgCode(err) === "23505";
}

/**
 * A row is still referenced, e.g. deleting a user who owns apps: foreign_key_violation (23503), which
 * PostgreSQL 18 (PGlite) reports as restrict_violation (23001) for ON DELETE RESTRICT.
 */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = pgCode(err);
  return code === "23503" || code === "23001";
}
