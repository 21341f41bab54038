/** Registering the simulator as a host the way an admin does: test, sync, list nodes — over real sockets. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type RunningSimulator, startSimulator } from "../../../src/simulator/index.ts";
import { appWithAdmin, createUser, type Session, type TestApp } from "../../helpers/harness.ts";
import { simHostBody } from "../../helpers/sim.ts";

setDefaultTimeout(60_000);

let sim: RunningSimulator;
let t: TestApp;
let admin: Session;
beforeAll(async () => {
  sim = await startSimulator({ nodes: 3, speed: 200, tls: true });
  ({ t, admin } = await appWithAdmin());
});
afterAll(async () => {
  t.services.hosts.close();
  await sim.stop();
});

async function addHost(over: Record<string, unknown>) {
  const res = await t.request("/api/v1/hosts", {
    method: "POST",
    token: admin.token,
    json: { ...simHostBody(sim), name: `sim-${crypto.randomUUID().slice(0, 6)}`, ...over },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { host: { id: string } }).host.id;
}

const testHost = async (id: string) =>
  (await (await t.request(`/api/v1/hosts/${id}/test`, { method: "POST", token: admin.token })).json()) as {
    ok: boolean;
    version?: string;
    node_count?: number;
    kind?: string;
    reason?: string;
  };

describe("hosts against the simulator (HTTPS with a pinned certificate)", () => {
  test("test reports version and node count; sync fills GET /nodes with live stats for every user", async () => {
    const id = await addHost({});
    expect(await testHost(id)).toMatchObject({
      ok: true,
      version: expect.stringMatching(/^9\.2/),
      node_count: 3,
    });
    const sync = await t.request(`/api/v1/hosts/${id}/sync`, { method: "POST", token: admin.token });
    expect(await sync.json()).toEqual({ nodes: 3, online: 3 });
    const user = await createUser(t, admin, "viewer");
    const nodes = (await (await t.request("/api/v1/nodes", { token: user.token })).json()) as {
      items: {
        name: string;
        status: string;
        memory_free: number;
        storage: { storage: string; avail: number }[];
      }[];
    };
    expect(nodes.items.map((n) => n.name)).toEqual(["pve1", "pve2", "pve3"]);
    for (const n of nodes.items) {
      expect(n.status).toBe("online");
      expect(n.memory_free).toBeGreaterThan(0);
      expect(n.storage.find((s) => s.storage === "local-lvm")!.avail).toBeGreaterThan(0);
    }
    const host = (await (await t.request(`/api/v1/hosts/${id}`, { token: admin.token })).json()) as {
      host: { status: string; pve_version: string };
    };
    expect(host.host.status).toBe("online");
  });

  test("a wrong certificate pin is explained as a TLS mismatch", async () => {
    const id = await addHost({ fingerprint: Array.from({ length: 32 }, () => "AB").join(":") });
    expect(await testHost(id)).toMatchObject({ ok: false, kind: "tls_mismatch" });
  });

  test("an unpinned self-signed certificate is refused with advice to pin it", async () => {
    const res = await t.request("/api/v1/hosts", {
      method: "POST",
      token: admin.token,
      json: { name: "unpinned", api_url: sim.apiUrl, token_id: sim.tokenId, token_secret: sim.tokenSecret },
    });
    const id = ((await res.json()) as { host: { id: string } }).host.id;
    const result = await testHost(id);
    expect(result).toMatchObject({ ok: false, kind: "tls" });
    expect(result.reason).toContain("pin its SHA-256 fingerprint");
  });

  test("a wrong token secret is explained as rejected credentials; a failed sync marks the host", async () => {
    const id = await addHost({ token_secret: "00000000-0000-0000-0000-000000000000" });
    const result = await testHost(id);
    expect(result).toMatchObject({ ok: false, kind: "auth" });
    expect(result.reason).toContain("refused the credentials");
    const sync = await t.request(`/api/v1/hosts/${id}/sync`, { method: "POST", token: admin.token });
    expect(sync.status).toBe(502);
    const host = (await (await t.request(`/api/v1/hosts/${id}`, { token: admin.token })).json()) as {
      host: { status: string; last_error: string };
    };
    expect(host.host).toMatchObject({
      status: "error",
      last_error: expect.stringContaining("refused the credentials"),
    });
  });

  test("ticket auth (username + password) works too", async () => {
    const id = await addHost({
      token_id: undefined,
      token_secret: undefined,
      username: sim.username,
      password: sim.password,
    });
    expect(await testHost(id)).toMatchObject({ ok: true, node_count: 3 });
  });
});
