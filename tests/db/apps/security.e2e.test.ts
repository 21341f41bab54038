/** Authorization across users, and user input that must never reach a shell. */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { DEPLOY_STEPS } from "../../../src/features/apps/sagas/deploy.ts";
import { quoteEnvValue } from "../../../src/features/catalog/compose.ts";
import { createUser, type Session } from "../../helpers/harness.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

let w: SimWorld;
let alice: Session;
let bob: Session;
let aliceApp: { id: string };
let aliceJob: { id: string };

beforeAll(async () => {
  w = await startWorld();
  alice = await createUser(w.t, w.admin, "alice");
  bob = await createUser(w.t, w.admin, "bob");
  const d = await deploy(w, { catalog_id: "it-tools", hostname: "alice-tools" }, alice.token);
  aliceApp = d.app;
  aliceJob = d.job;
  await settled(w, aliceApp.id);
});
afterAll(async () => {
  await w.stop();
});

describe("authorization: another user's app does not exist for you", () => {
  const reads = ["", "/logs", "/container-logs", "/stats", "/credentials", "/events"];
  test.each(reads)(
    "GET /apps/{id}%s → 404 for another user, 200 for the owner and for an admin",
    async (suffix) => {
      const path = `/api/v1/apps/${aliceApp.id}${suffix}`;
      const asBob = await w.t.request(path, { token: bob.token });
      expect(asBob.status).toBe(404);
      expect(((await asBob.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
      for (const token of [alice.token, w.admin.token]) {
        const res = await w.t.request(path, { token });
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }
    },
  );

  test.each([
    ["POST", "/actions", { action: "stop" }],
    ["POST", "/update", undefined],
    ["POST", "/clone", { hostname: "stolen" }],
    ["PATCH", "", { resources: { cores: 2 } }],
    ["DELETE", "", undefined],
  ])("%s /apps/{id}%s by another user → 404 and nothing changes", async (method, suffix, json) => {
    const res = await w.t.request(`/api/v1/apps/${aliceApp.id}${suffix}`, {
      method,
      token: bob.token,
      ...(json ? { json } : {}),
    });
    expect(res.status).toBe(404);
    expect((await settled(w, aliceApp.id))!.status).toBe("running");
  });

  test("another user's job is 404; lists only show your own apps and jobs", async () => {
    expect((await w.t.request(`/api/v1/jobs/${aliceJob.id}`, { token: bob.token })).status).toBe(404);
    expect((await w.t.request(`/api/v1/jobs/${aliceJob.id}`, { token: alice.token })).status).toBe(200);
    const bobApps = (await (await w.t.request("/api/v1/apps", { token: bob.token })).json()) as {
      total: number;
    };
    expect(bobApps.total).toBe(0);
    const bobJobs = (await (await w.t.request("/api/v1/jobs", { token: bob.token })).json()) as {
      total: number;
    };
    expect(bobJobs.total).toBe(0);
    const adminApps = (await (await w.t.request("/api/v1/apps", { token: w.admin.token })).json()) as {
      total: number;
    };
    expect(adminApps.total).toBe(1);
  });
});

describe("users who own apps", () => {
  test("deleting a user who still owns an app is a 409 and changes nothing", async () => {
    const res = await w.t.request(`/api/v1/users/${alice.id}`, { method: "DELETE", token: w.admin.token });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("still owns apps");
    expect((await w.t.request("/api/v1/auth/me", { token: alice.token })).status).toBe(200);
  });
});

describe("injection: user input never reaches a shell", () => {
  const nasty = [`'; rm -rf / #`, "$(reboot)", "`id`", 'a"b', "x;y&&z|w", "$HOME ${PATH}"];

  test("hostnames with shell syntax are refused before anything runs", async () => {
    for (const hostname of ["a;b", "$(x)", "a`b`", "a b", "a\nb", "A'B"]) {
      const res = await w.t.request("/api/v1/apps/deploy", {
        method: "POST",
        token: w.admin.token,
        json: { catalog_id: "it-tools", hostname },
      });
      expect(res.status).toBe(422);
    }
  });

  test("env values with quotes, $(), backticks and ; arrive literally in .env through stdin, never on a command line", async () => {
    const values = Object.fromEntries(nasty.map((v, i) => [i, v]));
    // gitea's ROOT_URL is a URL setting: one that parses, with every hostile piece in its path.
    const rootUrl = `http://x/${nasty.join(" ")}`;
    const d = await deploy(w, {
      catalog_id: "gitea",
      hostname: "inject",
      environment: { ROOT_URL: rootUrl },
    });
    const app = (await settled(w, d.app.id))!;
    expect(app.status).toBe("running");
    const state = w.sim.state() as unknown as {
      containers: {
        vmid: number;
        files: Record<string, { content: string }>;
        commands: { argv: string[]; command: string; stdin?: string }[];
      }[];
    };
    const ct = state.containers.find((c) => c.vmid === app.vmid)!;
    const env = ct.files["/opt/proximity/.env"]!.content;
    // The value is in the file, quoted for compose's .env parser (its round trip is tested in tests/catalog)…
    expect(env).toContain(`ROOT_URL=${quoteEnvValue(rootUrl)}\n`);
    // …and in no command line the node's shell received.
    for (const v of Object.values(values)) {
      for (const c of ct.commands) expect(c.command).not.toContain(v);
    }
    const tee = ct.commands.find((c) => c.argv.join(" ") === "tee /opt/proximity/.env")!;
    expect(tee.stdin).toContain("$(reboot)");
  });

  test.each([
    {
      name: "a newline in an env value is refused (it would start a new .env line)",
      body: { catalog_id: "gitea", hostname: "newline", environment: { ROOT_URL: "a\nEVIL=1" } },
      field: "environment.ROOT_URL",
    },
    {
      name: "unknown env keys are refused",
      body: { catalog_id: "it-tools", hostname: "unknown-env", environment: { LD_PRELOAD: "/tmp/x.so" } },
      field: "environment.LD_PRELOAD",
    },
  ])("$name", async ({ body, field }) => {
    const res = await deploy(w, body);
    expect(res.status).toBe(422);
    expect((res.body as { error: { details: { field: string }[] } }).error.details[0]!.field).toBe(field);
  });

  test("a node the cluster does not have is refused before anything is queued", async () => {
    const before = (await (await w.t.request("/api/v1/apps", { token: w.admin.token })).json()) as {
      total: number;
    };
    const res = await deploy(w, { catalog_id: "it-tools", hostname: "nowhere", node: "pve9" });
    expect(res.status).toBe(422);
    const error = (res.body as { error: { details: { field: string; message: string }[] } }).error;
    expect(error.details[0]).toMatchObject({
      field: "node",
      message: expect.stringContaining("pve1, pve2, pve3"),
    });
    const after = (await (await w.t.request("/api/v1/apps", { token: w.admin.token })).json()) as {
      total: number;
    };
    expect(after.total).toBe(before.total);
  });
});

describe("progress over server-sent events", () => {
  test("a user watches their deploy until it is running", async () => {
    const d = await deploy(w, { catalog_id: "uptime-kuma", hostname: "watched" }, alice.token);
    const res = await w.t.request(`/api/v1/apps/${d.app.id}/events`, { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const seen: { type: string; status?: string; step?: string }[] = [];
    let buffer = "";
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !seen.some((e) => e.type === "app.status" && e.status === "running")) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      for (const block of buffer.split("\n\n").slice(0, -1)) {
        const data = block.split("\n").find((l) => l.startsWith("data: "));
        if (data) seen.push(JSON.parse(data.slice(6)));
      }
      buffer = buffer.split("\n\n").at(-1)!;
    }
    await reader.cancel();
    const steps = seen.filter((e) => e.type === "job.progress").map((e) => e.step);
    // The client connects after the 202, so the first step may already be past: what it sees is the rest
    // of the saga, in order, through "finish".
    expect(steps.length).toBeGreaterThanOrEqual(DEPLOY_STEPS.length - 2);
    expect(steps).toEqual([...DEPLOY_STEPS].slice(DEPLOY_STEPS.length - steps.length));
    expect(seen.at(-1)).toMatchObject({ type: "app.status", status: "running" });
  });
});
