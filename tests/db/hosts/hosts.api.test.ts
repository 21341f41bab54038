import { describe, expect, test } from "bun:test";
import { eq, inArray } from "drizzle-orm";
import { deriveKeys } from "../../../src/crypto/keys.ts";
import { decryptSecret } from "../../../src/crypto/secrets.ts";
import { applications, proxmoxHosts } from "../../../src/db/schema.ts";
import { HostsService } from "../../../src/features/hosts/hosts.service.ts";
import { admin, adminAppPerTest, t } from "../../helpers/admin-app.ts";
import { auditTotal, createUser, errorOf } from "../../helpers/harness.ts";

const TOKEN_SECRET = "5f1c9a2e-1111-4c3b-9d2e-topsecretvalue";
const SSH_PASSWORD = "ssh-password-do-not-leak";

adminAppPerTest();

const body = (over: Record<string, unknown> = {}) => ({
  name: "lab",
  api_url: "https://127.0.0.1:1",
  token_id: "root@pam!proximity",
  token_secret: TOKEN_SECRET,
  ssh: { password: SSH_PASSWORD },
  ...over,
});

async function createHost(over: Record<string, unknown> = {}) {
  const res = await t.request("/api/v1/hosts", { method: "POST", token: admin.token, json: body(over) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { host: { id: string } & Record<string, unknown> }).host;
}

describe("hosts: secrets", () => {
  test("secrets are stored as AES-GCM ciphertext and never returned by any route", async () => {
    const host = await createHost();
    const [row] = await t.services.database.db
      .select()
      .from(proxmoxHosts)
      .where(eq(proxmoxHosts.id, host.id));
    expect(row!.tokenSecretEnc).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(row!.tokenSecretEnc).not.toContain(TOKEN_SECRET);
    expect(row!.sshPasswordEnc).not.toContain(SSH_PASSWORD);
    expect(await decryptSecret(t.services.keys, row!.tokenSecretEnc!)).toBe(TOKEN_SECRET);

    const responses = [
      await t.request("/api/v1/hosts", { token: admin.token }),
      await t.request(`/api/v1/hosts/${host.id}`, { token: admin.token }),
      await t.request(`/api/v1/hosts/${host.id}`, {
        method: "PATCH",
        token: admin.token,
        json: { name: "lab2" },
      }),
      await t.request("/api/v1/audit?per_page=100", { token: admin.token }),
    ];
    for (const res of responses) {
      const text = await res.text();
      expect(text).not.toContain(TOKEN_SECRET);
      expect(text).not.toContain(SSH_PASSWORD);
    }
    expect(host).toMatchObject({
      auth: "token",
      token_id: "root@pam!proximity",
      has_token_secret: true,
      ssh: { has_password: true, has_private_key: false, port: 22, username: "root" },
      is_default: true,
    });
    expect(Object.keys(host)).not.toContain("token_secret");
  });

  test("a different secret key fails loudly instead of using garbage credentials", async () => {
    const host = await createHost();
    const other = new HostsService(
      t.services.database.db,
      await deriveKeys("a-completely-different-secret-key-0123456789"),
      t.services.audit,
    );
    await expect(other.client(host.id)).rejects.toThrow(/could not be decrypted/);
  });

  test("omitted secrets are kept on update; switching to ticket auth drops the token", async () => {
    const host = await createHost();
    await t.request(`/api/v1/hosts/${host.id}`, {
      method: "PATCH",
      token: admin.token,
      json: { verify_tls: false },
    });
    let [row] = await t.services.database.db.select().from(proxmoxHosts).where(eq(proxmoxHosts.id, host.id));
    expect(await decryptSecret(t.services.keys, row!.tokenSecretEnc!)).toBe(TOKEN_SECRET);
    const res = await t.request(`/api/v1/hosts/${host.id}`, {
      method: "PATCH",
      token: admin.token,
      json: { username: "root@pam", password: "pve-root-password" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      host: { auth: "ticket", token_id: null, has_token_secret: false, has_password: true },
    });
    [row] = await t.services.database.db.select().from(proxmoxHosts).where(eq(proxmoxHosts.id, host.id));
    expect(row!.tokenSecretEnc).toBeNull();
  });
});

describe("hosts: validation and rules", () => {
  test.each([
    [{ api_url: "ftp://pve" }, "api_url"],
    [{ token_id: "not-a-token-id" }, "token_id"],
    [{ token_secret: undefined }, "token_secret"],
    [{ token_id: undefined, token_secret: undefined }, "token_id"],
    [{ username: "root@pam", password: "x" }, "token_id"],
    [{ fingerprint: "AB:CD" }, "fingerprint"],
    [{ name: "" }, "name"],
    [{ ssh: { port: 70000 } }, "ssh.port"],
    [{ ssh: { username: "root; rm -rf /" } }, "ssh.username"],
  ])("%j → 422 naming %s; nothing stored", async (over, field) => {
    const res = await t.request("/api/v1/hosts", { method: "POST", token: admin.token, json: body(over) });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details!.map((d) => d.field)).toContain(field);
    expect(await t.services.hosts.list()).toHaveLength(0);
  });

  test("names are unique regardless of case", async () => {
    await createHost({ name: "Lab" });
    const res = await t.request("/api/v1/hosts", {
      method: "POST",
      token: admin.token,
      json: body({ name: "lab" }),
    });
    expect(res.status).toBe(409);
  });

  test("exactly one default host: the first, or whichever is marked later", async () => {
    const a = await createHost({ name: "a" });
    const b = await createHost({ name: "b", is_default: true });
    const list = (await (await t.request("/api/v1/hosts", { token: admin.token })).json()) as {
      items: { id: string; is_default: boolean }[];
    };
    expect(list.items.filter((h) => h.is_default).map((h) => h.id)).toEqual([b.id]);
    expect(a.is_default).toBe(true);
  });

  test("deleting a host with apps is refused; without apps it is removed and audited", async () => {
    const host = await createHost();
    // Two apps on the host, as rows (their containers do not matter to the check).
    const db = t.services.database.db;
    const resources = { cores: 1, memory_mb: 512, disk_gb: 4 };
    const placed = await db
      .insert(applications)
      .values(
        ["one", "two"].map((name) => ({
          ownerId: admin.id,
          hostId: host.id,
          name,
          hostname: `app-${name}`,
          status: "stopped" as const,
          resources,
        })),
      )
      .returning({ id: applications.id });
    const refused = await t.request(`/api/v1/hosts/${host.id}`, { method: "DELETE", token: admin.token });
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).message).toContain("2 app(s)");
    await db.delete(applications).where(
      inArray(
        applications.id,
        placed.map((p) => p.id),
      ),
    );
    expect(
      (await t.request(`/api/v1/hosts/${host.id}`, { method: "DELETE", token: admin.token })).status,
    ).toBe(204);
    expect((await t.request(`/api/v1/hosts/${host.id}`, { token: admin.token })).status).toBe(404);
    expect(await auditTotal(t, admin, "host.delete")).toBe(1);
  });

  test("a regular user cannot see hosts but can list nodes", async () => {
    await createHost();
    const user = await createUser(t, admin, "viewer");
    expect((await t.request("/api/v1/hosts", { token: user.token })).status).toBe(403);
    expect((await t.request("/api/v1/nodes", { token: user.token })).status).toBe(200);
  });
});

describe("hosts: connection test explains failures", () => {
  test("connection refused", async () => {
    const server = Bun.serve({ port: 0, fetch: () => new Response("") });
    const port = server.port;
    server.stop(true);
    const host = await createHost({ api_url: `https://127.0.0.1:${port}` });
    const res = await t.request(`/api/v1/hosts/${host.id}/test`, { method: "POST", token: admin.token });
    const result = (await res.json()) as { ok: boolean; kind: string; reason: string };
    expect(result).toMatchObject({ ok: false, kind: "refused" });
    expect(result.reason).toContain(`127.0.0.1:${port}`);
  });

  test("DNS failure", async () => {
    const host = await createHost({ api_url: "https://pve.does-not-exist.invalid:8006" });
    const res = await t.request(`/api/v1/hosts/${host.id}/test`, { method: "POST", token: admin.token });
    expect(await res.json()).toMatchObject({ ok: false, kind: "dns" });
  });
});
