/**
 * Third-party stores as catalog sources (docs/catalog.md "Third-party stores"): the admin's list of
 * sources, importing one (download or read, translate every app, replace its entries in one transaction),
 * the per-entry report, and the refresh schedule.
 *
 * An import runs in the background: the source is `importing` until it settles `ready` (its entries
 * replaced) or `failed` (with the reason; the entries of the previous import stay, so a bad archive never
 * empties the catalog). An import cut short by a restart is started again when the service starts, so no
 * source stays `importing`.
 */
import { and, asc, eq, inArray, isNull, lt, ne, or } from "drizzle-orm";
import { ConflictError, NotFoundError, ValidationError } from "../../../core/errors.ts";
import type { Actor } from "../../../core/identity.ts";
import { log } from "../../../core/log.ts";
import type { Db } from "../../../db/connect.ts";
import { isUniqueViolation } from "../../../db/errors.ts";
import { type CatalogSourceRow, catalogSourceEntries, catalogSources } from "../../../db/schema.ts";
import type { AuditService } from "../../audit/audit.service.ts";
import type { SettingsService } from "../../settings/settings.service.ts";
import type { CatalogEntry } from "../catalog.schemas.ts";
import type { CatalogService, StoreEntry } from "../catalog.service.ts";
import {
  type ArchiveLimits,
  archiveUrl,
  DEFAULT_LIMITS,
  fetchArchive,
  readDirectory,
  SourceError,
} from "./archive.ts";
import type { StoreFiles } from "./files.ts";
import { detectFormat, importStore } from "./import.ts";
import type { StoreFormat } from "./model.ts";
import { type ReportEntry, type ReportQuery, type ReportView, viewReport } from "./report.ts";

export type { ReportEntry } from "./report.ts";

export type RequestedFormat = "auto" | StoreFormat;

export interface SourceInput {
  name: string;
  url: string;
  format?: RequestedFormat | undefined;
}

export interface SourcePatch {
  url?: string | undefined;
  format?: RequestedFormat | undefined;
}

/** Names a source cannot take: they are paths under /catalog. */
const RESERVED_NAMES = new Set(["sources", "categories", "reload", "verified"]);
/** A source's name: the namespace of its ids, so a short slug without `--`. */
export const SOURCE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?!-)){0,28}[a-z0-9]$/;

export interface SourcesOptions {
  limits?: Partial<ArchiveLimits>;
  /** How often the schedule is checked (ms). */
  checkEveryMs?: number;
}

export class SourcesService {
  private readonly running = new Map<string, Promise<void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly limits: ArchiveLimits;
  private readonly checkEveryMs: number;

  constructor(
    private readonly db: Db,
    private readonly catalog: CatalogService,
    private readonly audit: AuditService,
    private readonly settings: SettingsService,
    options: SourcesOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.checkEveryMs = options.checkEveryMs ?? 10 * 60_000;
  }

  async list(): Promise<CatalogSourceRow[]> {
    return this.db.select().from(catalogSources).orderBy(asc(catalogSources.name));
  }

  async get(id: string): Promise<CatalogSourceRow> {
    const [row] = await this.db.select().from(catalogSources).where(eq(catalogSources.id, id));
    if (!row) throw new NotFoundError(`Catalog source '${id}'`);
    return row;
  }

  /** Add a source and start its first import (the row answers `importing`). */
  async create(input: SourceInput, actor: Actor): Promise<CatalogSourceRow> {
    checkName(input.name);
    const url = checkLocation(input.url);
    const taken = () =>
      new ConflictError(`A source named ${input.name} already exists`, [
        { field: "name", message: "is taken" },
      ]);
    const row = await this.db
      .transaction(async (db) => {
        const [exists] = await db.select().from(catalogSources).where(eq(catalogSources.name, input.name));
        if (exists) throw taken();
        const [created] = await db
          .insert(catalogSources)
          .values({ name: input.name, url, requestedFormat: input.format ?? "auto", status: "importing" })
          .returning();
        await this.audit.record(
          {
            actor,
            action: "catalog.source.create",
            target: { type: "catalog_source", id: created!.id },
            details: { name: input.name, url, format: input.format ?? "auto" },
          },
          db,
        );
        return created!;
      })
      .catch((err) => {
        // Two admins adding the same name at once: the unique index decides.
        throw isUniqueViolation(err) ? taken() : err;
      });
    this.start(row.id);
    return row;
  }

  /** Change a source's location or format; the next import (started now) uses them. */
  async update(id: string, patch: SourcePatch, actor: Actor): Promise<CatalogSourceRow> {
    await this.get(id);
    if (this.running.has(id)) throw new ConflictError("The source is importing; try again when it is done");
    const url = patch.url === undefined ? undefined : checkLocation(patch.url);
    const [row] = await this.db.transaction(async (db) => {
      const updated = await db
        .update(catalogSources)
        .set({
          ...(url ? { url } : {}),
          ...(patch.format ? { requestedFormat: patch.format } : {}),
          status: "importing",
          updatedAt: new Date(),
        })
        .where(eq(catalogSources.id, id))
        .returning();
      await this.audit.record(
        {
          actor,
          action: "catalog.source.update",
          target: { type: "catalog_source", id },
          details: { ...(url ? { url } : {}), ...(patch.format ? { format: patch.format } : {}) },
        },
        db,
      );
      return updated;
    });
    this.start(id);
    return row!;
  }

  /** Import a source again now. */
  async refresh(id: string, actor: Actor): Promise<CatalogSourceRow> {
    await this.get(id);
    if (this.running.has(id)) throw new ConflictError("The source is already importing");
    const [row] = await this.db
      .update(catalogSources)
      .set({ status: "importing", updatedAt: new Date() })
      .where(eq(catalogSources.id, id))
      .returning();
    await this.audit.record({
      actor,
      action: "catalog.source.refresh",
      target: { type: "catalog_source", id },
    });
    this.start(id);
    return row!;
  }

  /** Remove a source and its entries; apps installed from them keep running. */
  async delete(id: string, actor: Actor): Promise<void> {
    const row = await this.get(id);
    if (this.running.has(id)) throw new ConflictError("The source is importing; try again when it is done");
    await this.db.transaction(async (db) => {
      await db.delete(catalogSources).where(eq(catalogSources.id, id));
      await this.audit.record(
        {
          actor,
          action: "catalog.source.delete",
          target: { type: "catalog_source", id },
          details: { name: row.name },
        },
        db,
      );
    });
    await this.reloadCatalog();
  }

  /** Every app of the last import: imported or refused, with the reasons. */
  async report(id: string): Promise<ReportEntry[]> {
    await this.get(id);
    const rows = await this.db
      .select({
        id: catalogSourceEntries.catalogId,
        name: catalogSourceEntries.name,
        status: catalogSourceEntries.status,
        reasons: catalogSourceEntries.reasons,
      })
      .from(catalogSourceEntries)
      .where(eq(catalogSourceEntries.sourceId, id))
      .orderBy(asc(catalogSourceEntries.catalogId));
    return rows;
  }

  /** The report filtered (by status or refusal group) and paged, with the counts of the whole import. */
  async reportView(id: string, query: ReportQuery): Promise<ReportView> {
    return viewReport(await this.report(id), query);
  }

  /** What the import changed in an imported entry (its report line), for the entry's page; [] for others. */
  async notesOf(catalogId: string): Promise<string[]> {
    // By the source's name (the id's namespace) first: the entries' index leads with the source.
    const [row] = await this.db
      .select({ reasons: catalogSourceEntries.reasons })
      .from(catalogSourceEntries)
      .innerJoin(catalogSources, eq(catalogSources.id, catalogSourceEntries.sourceId))
      .where(
        and(
          eq(catalogSources.name, catalogId.split("/")[0]!),
          eq(catalogSourceEntries.catalogId, catalogId),
          eq(catalogSourceEntries.status, "imported"),
        ),
      )
      .limit(1);
    return row?.reasons ?? [];
  }

  /** Wait for a running import (tests, the web page's "refresh and show"). */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }

  /**
   * Put every stored entry into the catalog, resume imports a restart cut short, and check the schedule
   * every few minutes (sources older than the `source_refresh_hours` setting are imported again).
   */
  async startSchedule(): Promise<void> {
    await this.reloadCatalog();
    const stuck = await this.db
      .select({ id: catalogSources.id })
      .from(catalogSources)
      .where(eq(catalogSources.status, "importing"));
    for (const { id } of stuck) this.start(id);
    this.timer = setInterval(() => {
      this.refreshDue().catch((err) => log.error("catalog sources: scheduled refresh failed", { err }));
    }, this.checkEveryMs);
    this.timer.unref?.();
  }

  async stopSchedule(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Start the imports that are due by the schedule; returns their ids. */
  async refreshDue(now = new Date()): Promise<string[]> {
    // Another instance may have imported since: its entries come in with every check.
    await this.reloadCatalog();
    const hours = (await this.settings.get()).catalog.source_refresh_hours;
    if (hours === 0) return [];
    const before = new Date(now.getTime() - hours * 3_600_000);
    const due = await this.db
      .select({ id: catalogSources.id })
      .from(catalogSources)
      .where(
        and(
          ne(catalogSources.status, "importing"),
          or(isNull(catalogSources.fetchedAt), lt(catalogSources.fetchedAt, before)),
        ),
      );
    const ids = due.map((d) => d.id).filter((id) => !this.running.has(id));
    if (ids.length > 0) {
      await this.db
        .update(catalogSources)
        .set({ status: "importing", updatedAt: new Date() })
        .where(inArray(catalogSources.id, ids));
    }
    for (const id of ids) this.start(id);
    return ids;
  }

  /** The store entries of every source, into the catalog at once. */
  async reloadCatalog(): Promise<void> {
    const rows = await this.db
      .select({
        entry: catalogSourceEntries.entry,
        iconPng: catalogSourceEntries.iconPng,
        iconType: catalogSourceEntries.iconType,
        source: catalogSources.name,
      })
      .from(catalogSourceEntries)
      .innerJoin(catalogSources, eq(catalogSources.id, catalogSourceEntries.sourceId))
      .where(eq(catalogSourceEntries.status, "imported"));
    const entries: StoreEntry[] = rows.flatMap((r) =>
      r.entry
        ? [
            {
              // Validated by catalogEntrySchema when it was imported (translate.ts).
              entry: r.entry as CatalogEntry,
              source: r.source,
              icon: r.iconPng
                ? { ext: r.iconType ?? "png", body: Uint8Array.from(Buffer.from(r.iconPng, "base64")) }
                : undefined,
            },
          ]
        : [],
    );
    this.catalog.useStoreEntries(entries);
  }

  private start(id: string): void {
    if (this.running.has(id)) return;
    const run = this.runImport(id)
      .catch((err) => log.error("catalog source import failed unexpectedly", { source_id: id, err }))
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async runImport(id: string): Promise<void> {
    const [row] = await this.db.select().from(catalogSources).where(eq(catalogSources.id, id));
    if (!row) return;
    const started = performance.now();
    try {
      const files = await this.read(row.url);
      const format = row.requestedFormat === "auto" ? detectFormat(files) : row.requestedFormat;
      if (!format)
        throw new SourceError(
          "not a Runtipi, CasaOS or Umbrel store (no apps/*/config.json, Apps/*/docker-compose.yml or */umbrel-app.yml)",
        );
      const { entries } = importStore(files, row.name, format);
      const imported = entries.filter((e) => e.status === "imported").length;
      await this.db.transaction(async (db) => {
        await db.delete(catalogSourceEntries).where(eq(catalogSourceEntries.sourceId, id));
        for (let i = 0; i < entries.length; i += 200) {
          await db.insert(catalogSourceEntries).values(
            entries.slice(i, i + 200).map((e) => ({
              sourceId: id,
              catalogId: e.id,
              name: e.name,
              status: e.status,
              reasons: e.reasons,
              entry: e.entry ?? null,
              iconPng: e.icon ? Buffer.from(e.icon.body).toString("base64") : null,
              iconType: e.icon?.ext ?? null,
            })),
          );
        }
        await db
          .update(catalogSources)
          .set({
            status: "ready",
            format,
            error: null,
            imported,
            refused: entries.length - imported,
            fetchedAt: new Date(),
            updatedAt: new Date(),
          })
          .where(eq(catalogSources.id, id));
      });
      await this.reloadCatalog();
      log.info("catalog source imported", {
        source: row.name,
        format,
        imported,
        refused: entries.length - imported,
        ms: Math.round(performance.now() - started),
      });
    } catch (err) {
      const reason =
        err instanceof SourceError ? err.message : `import failed: ${(err as Error).message.split("\n")[0]}`;
      await this.db
        .update(catalogSources)
        .set({ status: "failed", error: reason.slice(0, 500), fetchedAt: new Date(), updatedAt: new Date() })
        .where(eq(catalogSources.id, id));
      log.warn("catalog source import failed", { source: row.name, reason });
    }
  }

  private async read(location: string): Promise<StoreFiles> {
    if (location.startsWith("/")) return readDirectory(location, this.limits);
    return fetchArchive(archiveUrl(location), this.limits);
  }
}

function checkName(name: string): void {
  if (!SOURCE_NAME_PATTERN.test(name) || RESERVED_NAMES.has(name)) {
    throw new ValidationError("Invalid source name", [
      {
        field: "name",
        message: RESERVED_NAMES.has(name)
          ? `${name} is reserved`
          : "must be 2–30 characters of a-z, 0-9 and single '-', not starting or ending with '-'",
      },
    ]);
  }
}

/** An http(s) URL (archive or repository) or an absolute directory path; refused with the field named. */
function checkLocation(url: string): string {
  const value = url.trim();
  if (value.startsWith("/")) {
    if (value.split("/").includes("..") || value.includes("\0"))
      throw new ValidationError("Invalid source URL", [
        { field: "url", message: "must be an absolute path without '..'" },
      ]);
    return value;
  }
  try {
    archiveUrl(value);
  } catch (err) {
    throw new ValidationError("Invalid source URL", [{ field: "url", message: (err as Error).message }]);
  }
  return value;
}
