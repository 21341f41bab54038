/**
 * /api/v1/catalog/sources: an admin adds a third-party store (a local directory or a .tar.gz over HTTP), its
 * apps appear in the catalog as community entries, the report names every refusal, a refresh replaces the
 * entries at once, a failed import keeps the previous ones, and only admins manage sources.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, adminAppPerTest, t } from "../../helpers/admin-app.ts";
import { auditTotal, createUser, errorOf } from "../../helpers/harness.ts";
import {
  BIG_STORE_IMPORTED,
  BIG_STORE_REFUSALS,
  importedIds,
  STORE_FIXTURES,
  writeBigStore,
} from "../../helpers/stores.ts";
import { tarGzOfDir } from "../../helpers/tar.ts";

let server: Server;
let base: string;
/** A store of 30 apps, 24 refused for four reasons (tests/helpers/stores.ts). */
const bigStore = mkdtempSync(join(tmpdir(), "proximity-big-store-"));
const served = new Map<string, Uint8Array>();

beforeAll(async () => {
  await writeBigStore(bigStore);
  served.set("/casaos.tar.gz", await tarGzOfDir(join(STORE_FIXTURES, "casaos"), "casaos-store-main"));
  served.set("/broken.tar.gz", new TextEncoder().encode("this is not an archive"));
  server = createServer((req, res) => {
    const body = served.get(req.url ?? "");
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/gzip" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(bigStore, { recursive: true, force: true });
});

adminAppPerTest();

interface Source {
  id: string;
  name: string;
  status: string;
  format: string;
  imported: number;
  refused: number;
  error: string | null;
  fetched_at: string | null;
}

async function addSource(json: Record<string, unknown>): Promise<Source> {
  const res = await t.request("/api/v1/catalog/sources", { method: "POST", token: admin.token, json });
  expect(res.status).toBe(202);
  const { source } = (await res.json()) as { source: Source };
  expect(source.status).toBe("importing");
  await t.services.sources.settled(source.id);
  return getSource(source.id);
}

async function getSource(id: string): Promise<Source> {
  const res = await t.request(`/api/v1/catalog/sources/${id}`, { token: admin.token });
  return ((await res.json()) as { source: Source }).source;
}

/** Points a source at another URL (202) and waits for the import that starts to end. */
async function moveSource(id: string, url: string) {
  const res = await t.request(`/api/v1/catalog/sources/${id}`, {
    method: "PATCH",
    token: admin.token,
    json: { url },
  });
  expect(res.status).toBe(202);
  await t.services.sources.settled(id);
}

describe("catalog sources", () => {
  test("a Runtipi directory: its apps join the catalog as community entries, the report explains the rest", async () => {
    const source = await addSource({ name: "tipi", url: join(STORE_FIXTURES, "runtipi") });
    expect(source).toMatchObject({
      status: "ready",
      format: "runtipi",
      imported: 8,
      refused: 5,
      error: null,
    });
    expect(source.fetched_at).not.toBeNull();

    const report = (await (
      await t.request(`/api/v1/catalog/sources/${source.id}/report`, { token: admin.token })
    ).json()) as { entries: { id: string; status: string; reasons: string[] }[] };
    const byId = new Map(report.entries.map((e) => [e.id, e]));
    expect(byId.get("tipi/notepad")?.status).toBe("imported");
    expect(byId.get("tipi/armonly")).toMatchObject({
      status: "refused",
      reasons: ["does not run on amd64 (only arm64)"],
    });

    const list = (await (await t.request("/api/v1/catalog?source=tipi", { token: admin.token })).json()) as {
      items: { id: string; trust: string; source: string; icon: string }[];
      total: number;
    };
    expect(list.total).toBe(8);
    expect(list.items.map((e) => e.id).sort()).toEqual(importedIds("runtipi", "tipi"));
    expect(list.items.every((e) => e.trust === "community" && e.source === "tipi")).toBe(true);

    const one = await t.request(`/api/v1/catalog/${encodeURIComponent("tipi/notepad")}`, {
      token: admin.token,
    });
    expect(one.status).toBe(200);
    const entry = (await one.json()) as { icon: string; trust: string; env: { name: string }[] };
    // The store's logo is served by Proximity itself.
    const icon = await t.app.request(new URL(entry.icon).pathname);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/png");
    const kv = (await (
      await t.request(`/api/v1/catalog/${encodeURIComponent("tipi/kvstore")}`, { token: admin.token })
    ).json()) as { icon: string };
    expect(kv.icon).toEndWith(".jpg");
    const jpeg = await t.app.request(new URL(kv.icon).pathname);
    expect(jpeg.headers.get("content-type")).toBe("image/jpeg");

    const builtin = (await (await t.request("/api/v1/catalog/gitea", { token: admin.token })).json()) as {
      trust: string;
      source: string | null;
    };
    expect(builtin).toMatchObject({ trust: "verified", source: null });
    const verified = (await (
      await t.request("/api/v1/catalog?source=verified&per_page=100", { token: admin.token })
    ).json()) as {
      items: { id: string }[];
    };
    expect(verified.items.some((e) => e.id.includes("/"))).toBe(false);
  });

  test("a .tar.gz over HTTP imports; a broken one fails with the reason and keeps the previous entries", async () => {
    const source = await addSource({ name: "casa", url: `${base}/casaos.tar.gz`, format: "auto" });
    expect(source).toMatchObject({ status: "ready", format: "casaos", imported: 8, refused: 3 });
    expect(t.services.catalog.get("casa/pastebin")?.name).toBe("Pastebin");

    await moveSource(source.id, `${base}/broken.tar.gz`);
    const failed = await getSource(source.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("archive");
    expect(t.services.catalog.get("casa/pastebin")?.name).toBe("Pastebin");

    await moveSource(source.id, `${base}/nothing.tar.gz`);
    expect((await getSource(source.id)).error).toContain("HTTP 404");
  });

  test("a refresh replaces the entries; delete removes them; both are audited", async () => {
    const source = await addSource({ name: "umb", url: join(STORE_FIXTURES, "umbrel"), format: "umbrel" });
    expect(source).toMatchObject({ status: "ready", imported: 4, refused: 3 });
    const refresh = await t.request(`/api/v1/catalog/sources/${source.id}/refresh`, {
      method: "POST",
      token: admin.token,
    });
    expect(refresh.status).toBe(202);
    await t.services.sources.settled(source.id);
    expect((await getSource(source.id)).imported).toBe(4);
    expect(t.services.catalog.get("umb/photo-frame")).toBeDefined();

    const del = await t.request(`/api/v1/catalog/sources/${source.id}`, {
      method: "DELETE",
      token: admin.token,
    });
    expect(del.status).toBe(204);
    expect(t.services.catalog.get("umb/photo-frame")).toBeUndefined();
    expect((await t.request(`/api/v1/catalog/sources/${source.id}`, { token: admin.token })).status).toBe(
      404,
    );
    expect(await auditTotal(t, admin, "catalog.source.delete")).toBe(1);
  });

  test("the wrong format for a store is reported", async () => {
    const source = await addSource({ name: "wrong", url: join(STORE_FIXTURES, "casaos"), format: "umbrel" });
    expect(source).toMatchObject({ status: "ready", imported: 0, refused: 0 });
    const empty = await addSource({ name: "empty", url: join(STORE_FIXTURES, ".."), format: "auto" });
    expect(empty.status).toBe("failed");
    expect(empty.error).toContain("not a Runtipi, CasaOS or Umbrel store");
  });

  test.each([
    [{ name: "Bad Name", url: "/tmp" }, "name"],
    [{ name: "sources", url: "/tmp" }, "name"],
    [{ name: "a--b", url: "/tmp" }, "name"],
    [{ name: "ok", url: "relative/dir" }, "url"],
    [{ name: "ok", url: "ftp://example.org/x.tar.gz" }, "url"],
    [{ name: "ok", url: "/srv/../etc" }, "url"],
    [{ name: "ok", url: "/tmp", format: "flatpak" }, "format"],
  ])("%j → 422 naming %s, nothing stored", async (json, field) => {
    const res = await t.request("/api/v1/catalog/sources", { method: "POST", token: admin.token, json });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details?.map((d) => d.field)).toContain(field);
    const list = (await (await t.request("/api/v1/catalog/sources", { token: admin.token })).json()) as {
      total: number;
    };
    expect(list.total).toBe(0);
  });

  test("a second source with the same name is a conflict", async () => {
    await addSource({ name: "tipi", url: join(STORE_FIXTURES, "runtipi") });
    const res = await t.request("/api/v1/catalog/sources", {
      method: "POST",
      token: admin.token,
      json: { name: "tipi", url: join(STORE_FIXTURES, "runtipi") },
    });
    expect(res.status).toBe(409);
  });

  test("only admins manage sources; community installs are admins-only unless the setting allows everyone", async () => {
    await addSource({ name: "tipi", url: join(STORE_FIXTURES, "runtipi") });
    const user = await createUser(t, admin, "member");
    expect((await t.request("/api/v1/catalog/sources", { token: user.token })).status).toBe(403);
    const deploy = () =>
      t.request("/api/v1/apps/deploy", {
        method: "POST",
        token: user.token,
        json: { catalog_id: "tipi/kvstore", hostname: "kv" },
      });
    const refused = await deploy();
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toContain("only administrators");
    await t.request("/api/v1/settings", {
      method: "PUT",
      token: admin.token,
      json: { catalog: { community_installs: "everyone" } },
    });
    // Allowed now: the deploy goes on to its next check (this test app has no Proxmox host).
    const allowed = await deploy();
    expect(allowed.status).not.toBe(403);
    expect((await errorOf(allowed)).message).not.toContain("only administrators");
  });

  test("the schedule imports sources older than the refresh setting again", async () => {
    const source = await addSource({ name: "tipi", url: join(STORE_FIXTURES, "runtipi") });
    expect(await t.services.sources.refreshDue(new Date())).toEqual([]);
    const later = new Date(Date.now() + 25 * 3_600_000);
    expect(await t.services.sources.refreshDue(later)).toEqual([source.id]);
    await t.services.sources.settled(source.id);
    await t.request("/api/v1/settings", {
      method: "PUT",
      token: admin.token,
      json: { catalog: { source_refresh_hours: 0 } },
    });
    expect(await t.services.sources.refreshDue(new Date(Date.now() + 1000 * 3_600_000))).toEqual([]);
  });
});

describe("a store's report, filtered and paged", () => {
  interface Report {
    entries: { id: string; status: string; reasons: string[] }[];
    total: number;
    page?: number;
    per_page?: number;
    refusals: { key: string; label: string; count: number }[];
  }
  const report = (id: string, query = "", token = admin.token) =>
    t.request(`/api/v1/catalog/sources/${id}/report${query}`, { token });
  const read = async (res: Response) => {
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  };

  test("without a query, every entry as before, with the refusals grouped by reason", async () => {
    const source = await addSource({ name: "big", url: bigStore });
    const all = await read(await report(source.id));
    expect(all.entries).toHaveLength(30);
    expect(all.total).toBe(30);
    expect(all.page).toBeUndefined();
    expect(all.refusals).toEqual(BIG_STORE_REFUSALS.map((r) => ({ ...r })));
  });

  test("status and reason filter, page and per_page page", async () => {
    const source = await addSource({ name: "big", url: bigStore });
    const refused = await read(await report(source.id, "?status=refused"));
    expect(refused.total).toBe(24);
    expect(refused.entries.every((e) => e.status === "refused")).toBe(true);

    const imported = await read(await report(source.id, "?status=imported&per_page=4"));
    expect(imported).toMatchObject({ total: BIG_STORE_IMPORTED, page: 1, per_page: 4 });
    expect(imported.entries.map((e) => e.id)).toEqual([
      "big/app-25",
      "big/app-26",
      "big/app-27",
      "big/app-28",
    ]);
    const second = await read(await report(source.id, "?status=imported&per_page=4&page=2"));
    expect(second.entries.map((e) => e.id)).toEqual(["big/app-29", "big/app-30"]);
    // The groups describe the whole import, whatever the filter.
    expect(second.refusals).toEqual(refused.refusals);

    const hostPath = await read(await report(source.id, "?reason=a-host-path"));
    expect(hostPath.total).toBe(8);
    expect(hostPath.entries.every((e) => e.reasons[0]!.includes("bind-mounts the host path"))).toBe(true);
    // A group an earlier import had (a saved key) keeps none rather than failing.
    expect((await read(await report(source.id, "?reason=needs-other-umbrel-apps"))).total).toBe(0);
  });

  test.each([
    ["?status=broken", "status"],
    ["?status=imported&per_page=0", "per_page"],
    ["?per_page=101", "per_page"],
    ["?page=0", "page"],
    ["?reason=../etc", "reason"],
  ])("%s → 422 naming %s", async (query, field) => {
    const source = await addSource({ name: "big", url: bigStore });
    const res = await report(source.id, query);
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.details?.map((d) => d.field)).toContain(`query.${field}`);
  });

  test("a user who is not an admin gets 403, with or without a filter", async () => {
    const source = await addSource({ name: "big", url: bigStore });
    const user = await createUser(t, admin, "member");
    for (const query of ["", "?status=refused&page=1&per_page=5", "?status=broken"]) {
      const res = await report(source.id, query, user.token);
      expect(res.status).toBe(403);
      expect(JSON.stringify(await res.json())).not.toContain("app-01");
    }
  });
});
