/**
 * The in-memory catalog: built-in entries plus the operator's directory, searchable and reloadable.
 * No HTTP here; routes call it. A reload builds a fresh index and swaps it in at once, so readers never see a
 * half-loaded catalog.
 */

import type { UserActor } from "../../core/identity.ts";
import type { AuditService } from "../audit/audit.service.ts";
import {
  type CatalogLog,
  type CatalogSource,
  type LoadedEntry,
  loadBuiltinCatalog,
  loadOperatorCatalog,
  type SkippedFile,
  warnInLog,
} from "./catalog.loader.ts";
import { CATEGORY_NAMES, type CatalogEntry, type CategoryId } from "./catalog.schemas.ts";
import { type Icon, iconFor, iconFromFile, iconIdOf, iconPath, useCustomIcons } from "./icons/icons.ts";
import { rankEntries } from "./search.ts";

/** Icons are pure functions of the id; the web pages use them without a service instance. */
export { iconPath };

export interface LoadReport {
  /** Entries in the catalog after this load. */
  loaded: number;
  /** Files that failed validation (or could not be read), with the first issue. */
  skipped: SkippedFile[];
  /** Built-in ids replaced by an operator file. */
  overridden: string[];
}

export interface CatalogCategory {
  id: CategoryId;
  name: string;
  count: number;
}

export interface CatalogQuery {
  /** Words matched case-insensitively against id, name, description and tags; every word must match. */
  q?: string | undefined;
  /** A category id (case-insensitive). */
  category?: string | undefined;
  /** A store's name (its entries only), or `verified` (built-in and operator entries only). */
  source?: string | undefined;
}

/** An entry imported from a third-party store (sources/sources.service.ts keeps them in the database). */
export interface StoreEntry {
  entry: CatalogEntry;
  /** The source's name. */
  source: string;
  /** The store's logo (PNG or JPEG), when it ships one. */
  icon?: { ext: "png" | "jpg"; body: Uint8Array } | undefined;
}

/** `verified`: built-in or the operator's own; `community`: imported from a store, not checked by Proximity. */
export type CatalogTrust = "verified" | "community";

export interface CatalogServiceOptions {
  /** `$DATA_DIR/catalog`; optional. */
  operatorDir?: string | undefined;
  /** Where skip/override lines go; default a warning in the process log. */
  log?: CatalogLog | undefined;
  /** Replace the embedded built-in files (tests). */
  builtinFiles?: Readonly<Record<string, string>> | undefined;
  /** Records an administrator's reload (`catalog.reload`); the container always gives it. */
  audit?: AuditService | undefined;
}

interface Index {
  byId: Map<string, LoadedEntry>;
  sorted: CatalogEntry[];
  /** categories(), counted once per index: every catalog page shows them. */
  categories: readonly CatalogCategory[];
}

export class CatalogService {
  private readonly operatorDir: string | undefined;
  private readonly log: CatalogLog;
  private readonly builtinFiles: Readonly<Record<string, string>> | undefined;
  private readonly audit: AuditService | undefined;
  private index: Index | undefined;
  /** Built-in and operator entries of the last load (what store entries are merged into). */
  private base: Map<string, LoadedEntry> | undefined;
  private stores: LoadedEntry[] = [];

  constructor(opts: CatalogServiceOptions = {}) {
    this.operatorDir = opts.operatorDir;
    this.log = opts.log ?? warnInLog;
    this.builtinFiles = opts.builtinFiles;
    this.audit = opts.audit;
  }

  /** An administrator's reload (POST /catalog/reload): load, and record it in the audit log. */
  async reload(actor: UserActor): Promise<LoadReport> {
    if (!this.audit) throw new Error("CatalogService.reload records an audit row: build it with `audit`");
    const report = await this.load();
    await this.audit.record({
      actor,
      action: "catalog.reload",
      details: { loaded: report.loaded, skipped: report.skipped.length, overridden: report.overridden },
    });
    return report;
  }

  /** (Re)load built-ins and the operator directory. Safe to call at any time (start-up, reload). */
  async load(): Promise<LoadReport> {
    const builtin = loadBuiltinCatalog(this.log, this.builtinFiles);
    const operator = this.operatorDir
      ? await loadOperatorCatalog(this.operatorDir, this.log)
      : { entries: [], skipped: [] };

    const byId = new Map<string, LoadedEntry>();
    for (const loaded of builtin.entries) byId.set(loaded.entry.id, loaded);
    const overridden: string[] = [];
    for (const loaded of operator.entries) {
      if (byId.has(loaded.entry.id)) {
        overridden.push(loaded.entry.id);
        this.log(`catalog: operator file ${loaded.file} overrides built-in app ${loaded.entry.id}`);
      }
      byId.set(loaded.entry.id, loaded);
    }
    this.base = byId;
    this.rebuild();
    return { loaded: this.size, skipped: [...builtin.skipped, ...operator.skipped], overridden };
  }

  /**
   * Replace every store entry at once (after a source's import or deletion): readers see the old set or the
   * new one, never a mix. Store ids are namespaced (`runtipi/vaultwarden`), so they never replace a
   * built-in.
   */
  useStoreEntries(entries: readonly StoreEntry[]): void {
    this.stores = entries.map((s) => ({
      entry: s.entry,
      source: "store",
      file: s.source,
      store: s.source,
      ...(s.icon ? { icon: s.icon } : {}),
    }));
    this.rebuild();
  }

  /** Who vouches for an entry: `verified` (built-in, operator) or `community` (a store). */
  trust(id: string): CatalogTrust {
    return this.current().byId.get(id)?.source === "store" ? "community" : "verified";
  }

  /** The name of the store an entry was imported from (null for built-in and operator entries). */
  storeOf(id: string): string | null {
    return this.current().byId.get(id)?.store ?? null;
  }

  /** The names of the stores that have entries in the catalog, sorted. */
  storeNames(): string[] {
    return [...new Set(this.stores.map((s) => s.store ?? ""))].filter(Boolean).sort();
  }

  private rebuild(): void {
    const byId = new Map(this.base ?? this.builtinById());
    for (const loaded of this.stores) if (!byId.has(loaded.entry.id)) byId.set(loaded.entry.id, loaded);
    this.index = this.buildIndex(byId);
    const icons = new Map<string, Icon>();
    for (const [id, loaded] of byId)
      if (loaded.icon) icons.set(id, iconFromFile(loaded.icon.ext, loaded.icon.body));
    useCustomIcons(icons);
  }

  private builtinById(): Map<string, LoadedEntry> {
    const builtin = loadBuiltinCatalog(this.log, this.builtinFiles);
    this.base = new Map(builtin.entries.map((l) => [l.entry.id, l]));
    return this.base;
  }

  /**
   * Entries filtered by `category`; with `q`, those matching every word, best match first (search.ts:
   * the name before the tags before the description, one typo forgiven); without, sorted by name.
   */
  list(query: CatalogQuery = {}): CatalogEntry[] {
    const { sorted, byId } = this.current();
    const category = query.category?.trim().toLowerCase();
    let inCategory = category ? sorted.filter((e) => e.category === category) : sorted;
    const source = query.source?.trim();
    if (source) {
      inCategory = inCategory.filter((e) => (byId.get(e.id)?.store ?? "verified") === source);
    }
    return rankEntries(inCategory, query.q ?? "");
  }

  /** Categories that have at least one entry, in a fixed order, with their display name and count. */
  categories(): CatalogCategory[] {
    return [...this.current().categories];
  }

  get(id: string): CatalogEntry | undefined {
    return this.current().byId.get(id)?.entry;
  }

  /** Where an entry came from (built-in or the operator's directory). */
  source(id: string): CatalogSource | undefined {
    return this.current().byId.get(id)?.source;
  }

  /**
   * An app's icon: the operator's file named by their entry, else its brand mark or a letter tile for any
   * other id (SVG generated in memory); the web UI serves it and the API's `icon` field points at it.
   */
  icon(id: string): Icon {
    // The icon URL writes a store id's "/" as "--" (iconPath).
    return iconFor(id.includes("/") ? id : iconIdOf(id));
  }

  /** `/assets/icons/<id>.<content hash>.svg` */
  iconPath(id: string): string {
    return iconPath(id);
  }

  /** How many apps the catalog offers (system entries are not counted). */
  get size(): number {
    return this.current().sorted.length;
  }

  private buildIndex(byId: Map<string, LoadedEntry>): Index {
    // By name; the same app from several sources once per source, the verified one first. System entries
    // (the managed proxy) are Proximity's own: never listed or counted as the catalog's.
    const sorted = [...byId.values()]
      .filter((l) => !l.entry.system)
      .sort(
        (a, b) =>
          a.entry.name.localeCompare(b.entry.name, "en", { sensitivity: "base" }) ||
          Number(a.source === "store") - Number(b.source === "store") ||
          a.entry.id.localeCompare(b.entry.id),
      )
      .map((l) => l.entry);
    const counts = new Map<CategoryId, number>();
    for (const e of sorted) counts.set(e.category, (counts.get(e.category) ?? 0) + 1);
    const categories = (Object.keys(CATEGORY_NAMES) as CategoryId[])
      .filter((id) => counts.has(id))
      .map((id) => Object.freeze({ id, name: CATEGORY_NAMES[id], count: counts.get(id) ?? 0 }));
    return { byId, sorted, categories: Object.freeze(categories) };
  }

  /** Before the first load(), serve the built-ins (they need no I/O) rather than an empty catalog. */
  private current(): Index {
    if (!this.index) this.rebuild();
    return this.index!;
  }
}

/** The first number of a version ("v1.34.1" → 1, "2025.07.1" → 2025), or undefined. */
function majorOf(version: string): number | undefined {
  const m = /^v?(\d+)/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * Why updating an app installed at `installed` to the catalog's current entry is unsafe, per the entry's
 * `update_policy` (undefined when the update may go ahead). The same version is always fine: the update
 * then only re-applies the compose file.
 */
export function updateRefusal(entry: CatalogEntry, installed: string | null): string | undefined {
  if (installed === null || installed === entry.version) return undefined;
  const move = `${entry.name} ${installed} → ${entry.version}`;
  switch (entry.update_policy) {
    case "any":
      return undefined;
    case "same-major": {
      const from = majorOf(installed);
      const to = majorOf(entry.version);
      if (from !== undefined && from === to) return undefined;
      return `${move} crosses a major version, which ${entry.name} does not migrate in place. ${entry.upgrade}`;
    }
    case "dump-first":
      return `${move}: ${entry.name} cannot open data written by another version; export it first. ${entry.upgrade}`;
    case "never":
      return `${move}: ${entry.name} cannot be updated in place. ${entry.upgrade}`;
  }
}
