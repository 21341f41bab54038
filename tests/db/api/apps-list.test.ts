/**
 * GET /api/v1/apps answers each app exactly as GET /api/v1/apps/{app_id} does (the list reads fewer columns
 * and its timestamps as text: src/features/apps/apps.service.ts `listViews`), pages in the order of the
 * indexes, and narrows by owner, status and search with each filter's own values.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import { applications } from "../../../src/db/schema.ts";
import { getTestDatabase } from "../../helpers/db.ts";
import {
  appWithAdmin,
  createUser,
  registerOfflineHost,
  type Session,
  type TestApp,
} from "../../helpers/harness.ts";

// The embedded database starts slowly on a busy machine (set per file: a preload's default reaches only
// the first file).
setDefaultTimeout(60_000);

let t: TestApp;
let admin: Session;
let alice: Session;

interface ListBody {
  items: Record<string, unknown>[];
  total: number;
  page: number;
  per_page: number;
}

async function list(session: Session, query = ""): Promise<ListBody> {
  const res = await t.request(`/api/v1/apps${query}`, { token: session.token });
  expect(res.status).toBe(200);
  return (await res.json()) as ListBody;
}

const hostnames = (body: ListBody) => body.items.map((a) => a.hostname);

beforeAll(async () => {
  ({ t, admin } = await appWithAdmin());
  alice = await createUser(t, admin, "alice");
  const host = await registerOfflineHost(t);
  const gitea = t.services.catalog.get("gitea");
  expect(gitea).toBeDefined();
  const { db } = await getTestDatabase();
  const app = (
    owner: string,
    hostname: string,
    status: "running" | "stopped" | "error",
    createdAt: string,
    extra: Partial<typeof applications.$inferInsert> = {},
  ) => ({
    ownerId: owner,
    hostId: host.id,
    node: "pve",
    vmid: 100 + hostname.length * 10 + hostname.charCodeAt(0),
    catalogId: "gitea",
    catalogVersion: gitea!.version,
    name: `App ${hostname}`,
    hostname,
    status,
    resources: { cores: 2, memory_mb: 1024, disk_gb: 8 },
    environment: { ROOT_URL: `http://${hostname}.lan` },
    // Microseconds the answer drops, and one at the last microsecond of a second.
    createdAt: sql`${createdAt}::timestamptz` as unknown as Date,
    stateChangedAt: sql`${createdAt}::timestamptz + interval '1.999999 seconds'` as unknown as Date,
    ...extra,
  });
  await db.insert(applications).values([
    app(admin.id, "alpha", "running", "2026-03-01 10:00:00.123456+00", {
      healthCheckedAt: sql`'2026-03-01 10:05:00.999999+00'::timestamptz` as unknown as Date,
      health: "degraded",
      healthReason: "HTTP 502",
    }),
    // The same instant as alpha: the hostname decides.
    app(alice.id, "bravo", "stopped", "2026-03-01 10:00:00.123456+00", {
      catalogVersion: "0.0.1",
      updateMode: "auto",
      updateWindow: "0 3 * * *",
    }),
    app(alice.id, "charlie_1", "running", "2026-02-01 00:00:00+00", { ip: "10.0.0.5", port: 8080 }),
    app(admin.id, "delta", "error", "2026-01-15 23:59:59.9999+00", {
      statusReason: "deploy failed at step template",
      catalogId: null,
      catalogVersion: null,
      adopted: true,
      runtime: "lxc",
      scriptSlug: "delta",
    }),
    app(alice.id, "echo", "running", "2025-12-31 23:59:59.000001+00", {
      httpsUrl: "https://echo.example.org",
      gate: "proximity",
    }),
  ]);
});

describe("GET /api/v1/apps", () => {
  test("each item is the JSON GET /api/v1/apps/{app_id} answers for it, byte for byte", async () => {
    const body = await list(admin, "?per_page=100");
    expect(body.total).toBe(5);
    expect(body.items).toHaveLength(5);
    for (const item of body.items) {
      const one = await t.request(`/api/v1/apps/${item.id}`, { token: admin.token });
      expect(one.status).toBe(200);
      const { app } = (await one.json()) as { app: unknown };
      expect(JSON.stringify(item)).toBe(JSON.stringify(app));
    }
    const alpha = body.items.find((a) => a.hostname === "alpha")!;
    expect(alpha.created_at).toBe("2026-03-01T10:00:00.123Z");
    expect(alpha.state_changed_at).toBe("2026-03-01T10:00:02.123Z");
    expect(alpha.health).toEqual({
      state: "degraded",
      reason: "HTTP 502",
      checked_at: "2026-03-01T10:05:00.999Z",
    });
    const bravo = body.items.find((a) => a.hostname === "bravo")!;
    expect(bravo.update).toMatchObject({ available: true, current: "0.0.1", policy: { mode: "auto" } });
  });

  test("newest first, the hostname breaking ties; pages do not overlap", async () => {
    expect(hostnames(await list(admin, "?per_page=100"))).toEqual([
      "alpha",
      "bravo",
      "charlie_1",
      "delta",
      "echo",
    ]);
    const second = await list(admin, "?page=2&per_page=2");
    expect(second).toMatchObject({ total: 5, page: 2, per_page: 2 });
    expect(hostnames(second)).toEqual(["charlie_1", "delta"]);
    expect(hostnames(await list(admin, "?page=3&per_page=2"))).toEqual(["echo"]);
    expect(hostnames(await list(admin, "?page=4&per_page=2"))).toEqual([]);
  });

  test("a user sees only their own apps, an admin all; status and search narrow either, each with its own values", async () => {
    const own = await list(alice);
    expect(own.total).toBe(3);
    expect(hostnames(own)).toEqual(["bravo", "charlie_1", "echo"]);
    expect(hostnames(await list(alice, "?status=running"))).toEqual(["charlie_1", "echo"]);
    expect(hostnames(await list(alice, "?status=stopped"))).toEqual(["bravo"]);
    expect(hostnames(await list(admin, "?status=running"))).toEqual(["alpha", "charlie_1", "echo"]);
    expect(hostnames(await list(admin, "?status=error"))).toEqual(["delta"]);
    // Searched in name, hostname and catalog id; `_` and `%` are taken literally.
    expect(hostnames(await list(admin, "?q=ALPHA"))).toEqual(["alpha"]);
    expect(hostnames(await list(admin, "?q=e_1"))).toEqual(["charlie_1"]);
    expect((await list(admin, "?q=a%25")).total).toBe(0);
    expect(hostnames(await list(alice, "?q=o"))).toEqual(["bravo", "echo"]);
    expect(hostnames(await list(alice, "?q=alpha"))).toEqual([]);
    const both = await list(alice, "?status=running&q=gitea");
    expect(both.total).toBe(2);
    expect(hostnames(both)).toEqual(["charlie_1", "echo"]);
    expect(hostnames(await list(admin, "?status=running&q=echo"))).toEqual(["echo"]);
  });
});
