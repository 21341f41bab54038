/** Reads and writes the one settings document; unknown or invalid stored values fall back to defaults. */
import { eq } from "drizzle-orm";
import { type Actor, principalOf } from "../../core/identity.ts";
import type { Db } from "../../db/connect.ts";
import { settings } from "../../db/schema.ts";
import type { AuditService } from "../audit/audit.service.ts";
import { DEFAULT_SETTINGS, type Settings, SettingsSchema, type SettingsUpdate } from "./settings.schemas.ts";

const KEY = "global";

export class SettingsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  async get(db: Db = this.db): Promise<Settings> {
    const [row] = await db.select().from(settings).where(eq(settings.key, KEY));
    if (!row) return DEFAULT_SETTINGS;
    const parsed = SettingsSchema.safeParse(row.value);
    return parsed.success ? parsed.data : DEFAULT_SETTINGS;
  }

  async update(patch: SettingsUpdate, actor: Actor): Promise<Settings> {
    return this.db.transaction(async (db) => {
      const current = await this.get(db);
      const next = SettingsSchema.parse({
        resources: { ...current.resources, ...patch.resources },
        network: { ...current.network, ...patch.network },
        storage: { ...current.storage, ...patch.storage },
        registration: patch.registration ?? current.registration,
        quotas: { ...current.quotas, ...patch.quotas },
        catalog: { ...current.catalog, ...patch.catalog },
        updates: { ...current.updates, ...patch.updates },
        health: { ...current.health, ...patch.health },
      });
      await db
        .insert(settings)
        .values({ key: KEY, value: next, updatedBy: principalOf(actor).id })
        .onConflictDoUpdate({
          target: settings.key,
          set: { value: next, updatedBy: principalOf(actor).id, updatedAt: new Date() },
        });
      await this.audit.record(
        {
          actor,
          action: "settings.update",
          target: { type: "settings", id: KEY },
          details: { changed: Object.keys(patch) },
        },
        db,
      );
      return next;
    });
  }
}
