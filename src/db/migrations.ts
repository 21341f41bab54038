/**
 * The SQL migrations, embedded so the compiled binary carries them. drizzle-kit writes them into drizzle/;
 * add each new file here (tests/db/migrations.test.ts fails when the journal and this list disagree).
 */

import m0000 from "../../drizzle/0000_foundation.sql" with { type: "text" };
import m0001 from "../../drizzle/0001_hosts.sql" with { type: "text" };
import m0002 from "../../drizzle/0002_apps.sql" with { type: "text" };
import m0003 from "../../drizzle/0003_backups.sql" with { type: "text" };
import m0004 from "../../drizzle/0004_scale_indexes.sql" with { type: "text" };
import m0005 from "../../drizzle/0005_app_runtime.sql" with { type: "text" };
import m0006 from "../../drizzle/0006_app_oci_image.sql" with { type: "text" };
import m0007 from "../../drizzle/0007_day_two.sql" with { type: "text" };
import m0008 from "../../drizzle/0008_app_adopted_lxc.sql" with { type: "text" };
import m0009 from "../../drizzle/0009_catalog_sources.sql" with { type: "text" };
import m0010 from "../../drizzle/0010_app_access.sql" with { type: "text" };
import m0011 from "../../drizzle/0011_session_notify.sql" with { type: "text" };
import m0012 from "../../drizzle/0012_catalog_source_icon_type.sql" with { type: "text" };
import m0013 from "../../drizzle/0013_drop_registry_digests.sql" with { type: "text" };
import m0014 from "../../drizzle/0014_event_channel_per_schema.sql" with { type: "text" };
import m0015 from "../../drizzle/0015_rotation_notify.sql" with { type: "text" };
import journal from "../../drizzle/meta/_journal.json" with { type: "json" };

export interface Migration {
  tag: string;
  sql: string;
}

export const migrations: Migration[] = [
  { tag: "0000_foundation", sql: m0000 },
  { tag: "0001_hosts", sql: m0001 },
  { tag: "0002_apps", sql: m0002 },
  { tag: "0003_backups", sql: m0003 },
  { tag: "0004_scale_indexes", sql: m0004 },
  { tag: "0005_app_runtime", sql: m0005 },
  { tag: "0006_app_oci_image", sql: m0006 },
  { tag: "0007_day_two", sql: m0007 },
  { tag: "0008_app_adopted_lxc", sql: m0008 },
  { tag: "0009_catalog_sources", sql: m0009 },
  { tag: "0010_app_access", sql: m0010 },
  { tag: "0011_session_notify", sql: m0011 },
  { tag: "0012_catalog_source_icon_type", sql: m0012 },
  { tag: "0013_drop_registry_digests", sql: m0013 },
  { tag: "0014_event_channel_per_schema", sql: m0014 },
  { tag: "0015_rotation_notify", sql: m0015 },
];

export const journalTags: string[] = journal.entries.map((e) => e.tag);
