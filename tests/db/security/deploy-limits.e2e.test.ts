/**
 * Per-user quotas, secrets in job payloads and the hostname namespace, against the simulated cluster;
 * parallel deploys go through a real Bun.serve (docs/security.md).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { jobs } from "../../../src/db/schema.ts";
import { createUser, errorOf, type Session } from "../../helpers/harness.ts";
import { type Served, serve, tally } from "../../helpers/serve.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(600_000);

let w: SimWorld;
let s: Served;
let alice: Session;
let bob: Session;
beforeAll(async () => {
  w = await startWorld();
  s = serve(w.t);
  alice = await createUser(w.t, w.admin, "alice");
  bob = await createUser(w.t, w.admin, "bob");
});
afterAll(async () => {
  await s.stop();
  await w.stop();
});

const setQuotas = async (quotas: Record<string, unknown>) => {
  const res = await w.t.request("/api/v1/settings", {
    method: "PUT",
    token: w.admin.token,
    json: { quotas },
  });
  expect(res.status).toBe(200);
};

async function settleAll() {
  const apps = await w.t.services.database.db.query.applications.findMany();
  for (const app of apps) await settled(w, app.id);
}

async function deleteAll() {
  await settleAll();
  const apps = await w.t.services.database.db.query.applications.findMany();
  for (const app of apps) {
    await w.t.request(`/api/v1/apps/${app.id}`, { method: "DELETE", token: w.admin.token });
    await settled(w, app.id);
  }
}

describe("per-user quotas", () => {
  test("200 parallel deploys from one user: 3 accepted (jobs in flight), 197×429; another user still deploys", async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        s.fetch("/api/v1/apps/deploy", {
          method: "POST",
          token: alice.token,
          json: { catalog_id: "it-tools", hostname: `bulk${i}` },
        }),
      ),
    );
    const counts = tally(responses.map((r) => r.status));
    console.log("200 parallel deploys from one user:", counts);
    expect(counts).toEqual({ 202: 3, 429: 197 });
    const refused = await errorOf(responses.find((r) => r.status === 429)!);
    expect(refused.code).toBe("RATE_LIMITED");
    expect(refused.message).toContain("limit 3 per user");
    const other = await deploy(w, { catalog_id: "it-tools", hostname: "bobs-tools" }, bob.token);
    expect(other.status).toBe(202);
    expect((await settled(w, other.app.id))!.status).toBe("running");
    await deleteAll();
  });

  test("apps and memory quotas answer 422 naming the quota; admins are exempt", async () => {
    await setQuotas({ apps_per_user: 1, memory_mb_per_user: 3000 });
    const first = await deploy(w, { catalog_id: "it-tools", hostname: "one" }, alice.token);
    expect(first.status).toBe(202);
    const second = await w.t.request("/api/v1/apps/deploy", {
      method: "POST",
      token: alice.token,
      json: { catalog_id: "it-tools", hostname: "two" },
    });
    expect(second.status).toBe(422);
    expect((await errorOf(second)).details!.map((d) => d.field)).toContain("quota.apps_per_user");
    const big = await w.t.request("/api/v1/apps/deploy", {
      method: "POST",
      token: bob.token,
      json: { catalog_id: "it-tools", hostname: "big", resources: { memory_mb: 4096 } },
    });
    expect(big.status).toBe(422);
    const error = await errorOf(big);
    expect(error.details).toEqual([
      {
        field: "quota.memory_mb_per_user",
        message: "you have 0 MB of memory, this needs 4096 MB more, and the limit per user is 3000 MB",
      },
    ]);
    const admin = await deploy(w, {
      catalog_id: "it-tools",
      hostname: "admins",
      resources: { memory_mb: 4096 },
    });
    expect(admin.status).toBe(202);
    await setQuotas({ apps_per_user: 10, memory_mb_per_user: 16384 });
    await deleteAll();
  });
});

describe("secrets in job payloads", () => {
  test("a secret set through PATCH never sits in clear in jobs.payload, and the sealed copy goes when the job ends", async () => {
    const d = await deploy(w, { catalog_id: "gitea", hostname: "sealed" }, alice.token);
    expect(d.status).toBe(202);
    expect((await settled(w, d.app.id))!.status).toBe("running");
    const secret = "hunter2-very-secret-db-password";
    const res = await w.t.request(`/api/v1/apps/${d.app.id}`, {
      method: "PATCH",
      token: alice.token,
      json: { environment: { DB_PASSWORD: secret } },
    });
    expect(res.status).toBe(202);
    const jobId = ((await res.json()) as { job: { id: string } }).job.id;
    const db = w.t.services.database.db;
    const [queued] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(JSON.stringify(queued!.payload)).not.toContain(secret);
    expect((await settled(w, d.app.id))!.status).toBe("running");
    const [done] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(done!.status).toBe("succeeded");
    expect(JSON.stringify(done)).not.toContain(secret);
    expect(done!.payload).not.toHaveProperty("secrets");
    // The value did arrive: the app's credentials have it.
    const creds = (await (
      await w.t.request(`/api/v1/apps/${d.app.id}/credentials`, { token: alice.token })
    ).json()) as { environment: Record<string, string> };
    expect(creds.environment.DB_PASSWORD).toBe(secret);
    await deleteAll();
  });
});

describe("hostname namespace", () => {
  test("a taken hostname gets the same short answer whether it is yours or someone else's", async () => {
    const d = await deploy(w, { catalog_id: "it-tools", hostname: "taken" }, alice.token);
    expect(d.status).toBe(202);
    const answers = [];
    for (const who of [alice, bob]) {
      const res = await w.t.request("/api/v1/apps/deploy", {
        method: "POST",
        token: who.token,
        json: { catalog_id: "it-tools", hostname: "taken" },
      });
      expect(res.status).toBe(409);
      answers.push((await errorOf(res)).message);
    }
    expect(answers[0]).toBe(answers[1]!);
    expect(answers[1]).toBe('The hostname "taken" is not available; choose another');
    await deleteAll();
  });
});
