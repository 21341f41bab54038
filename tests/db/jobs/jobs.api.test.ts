import { beforeEach, describe, expect, test } from "bun:test";
import { applications } from "../../../src/db/schema.ts";
import { DeployAppJob, RestartAppJob } from "../../../src/features/apps/sagas/job-types.ts";
import { hostRow } from "../../helpers/db.ts";
import { appWithAdmin, createUser, type Session, type TestApp } from "../../helpers/harness.ts";

let t: TestApp;
let admin: Session;
let alice: Session;
let bob: Session;

beforeEach(async () => {
  ({ t, admin } = await appWithAdmin());
  alice = await createUser(t, admin, "alice");
  bob = await createUser(t, admin, "bob");
});

describe("jobs API", () => {
  test("a user sees their own jobs; another user's job is 404; an admin sees all", async () => {
    const payload = { app_id: crypto.randomUUID() };
    const mine = await t.services.jobs.enqueue(DeployAppJob, { userId: alice.id, payload });
    const theirs = await t.services.jobs.enqueue(DeployAppJob, { userId: bob.id, payload });
    const get = (id: string, s: Session) => t.request(`/api/v1/jobs/${id}`, { token: s.token });

    const res = await get(mine!.id, alice);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: mine!.id,
      kind: "deploy_app",
      status: "queued",
      progress: null,
      error: null,
      app_id: null,
      started_at: null,
      finished_at: null,
    });
    expect((await get(theirs!.id, alice)).status).toBe(404);
    expect((await get(theirs!.id, admin)).status).toBe(200);

    const list = (await (await t.request("/api/v1/jobs", { token: alice.token })).json()) as {
      items: { id: string }[];
      total: number;
    };
    expect(list.items.map((j) => j.id)).toEqual([mine!.id]);
    expect(list.total).toBe(1);
    const all = (await (await t.request("/api/v1/jobs?status=queued", { token: admin.token })).json()) as {
      total: number;
    };
    expect(all.total).toBe(2);
  });

  test("jobs on an app the user owns are visible even when an admin started them", async () => {
    // A real app of alice's (on a host row; its container does not matter here).
    const db = t.services.database.db;
    const host = await hostRow(db);
    const [app] = await db
      .insert(applications)
      .values({
        ownerId: alice.id,
        hostId: host.id,
        name: "Gitea",
        hostname: "alice-git",
        status: "running",
        resources: { cores: 1, memory_mb: 512, disk_gb: 4 },
      })
      .returning();
    const appId = app!.id;
    const job = await t.services.jobs.enqueue(RestartAppJob, {
      userId: admin.id,
      appId,
      payload: { app_id: appId },
    });
    expect((await t.request(`/api/v1/jobs/${job!.id}`, { token: alice.token })).status).toBe(200);
    expect((await t.request(`/api/v1/jobs/${job!.id}`, { token: bob.token })).status).toBe(404);
    const list = (await (await t.request("/api/v1/jobs", { token: alice.token })).json()) as {
      total: number;
    };
    expect(list.total).toBe(1);
  });

  test("bad filters are 422", async () => {
    expect((await t.request("/api/v1/jobs?status=exploded", { token: alice.token })).status).toBe(422);
    expect((await t.request("/api/v1/jobs/nope", { token: alice.token })).status).toBe(422);
  });
});
