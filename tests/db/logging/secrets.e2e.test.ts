/**
 * No secret in the log: a real register / login / host / deploy / reconfigure flow on the simulator, with
 * a failed deploy and a retried one, logged at debug in both formats. Every password, token, host credential
 * and app secret the flow handled is then searched for in everything that was written.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { PASSWORD, TEST_SECRET } from "../../helpers/harness.ts";
import { type CapturedLogs, captureLogs } from "../../helpers/logs.ts";
import { clearFaults, deploy, type SimWorld, settled, simFault, startWorld } from "../../helpers/sim.ts";

// Real sockets and SSH on a shared machine (set per file: a preload's default reaches the first file only):
// about 3× the ~20 s setup (a world and a deploy) measured alone on the 2-core machine.
setDefaultTimeout(60_000);

const USER_PASSWORD = "Pa55-word-of-carol-7f3a91";
const WRONG_PASSWORD = "typo-of-carol-password-52c0";
const NEW_PASSWORD = "second-password-of-carol-e81d";
const ADMIN_TOKEN = "vault-admin-token-given-at-deploy-4b9e2d";
const ROTATED_ADMIN_TOKEN = "vault-admin-token-rotated-later-0c77aa";

let w: SimWorld;
const secrets = new Set<string>();
let json: CapturedLogs;
let pretty: string[] = [];

async function ok(res: Response, status = 200): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== status)
    throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

beforeAll(async () => {
  json = captureLogs("debug", "json");
  w = await startWorld();
  for (const s of [PASSWORD, TEST_SECRET, w.sim.tokenSecret, w.sim.sshPassword, w.admin.token])
    secrets.add(s);
  secrets.add(w.admin.refreshToken);

  // A user: created by the admin, a failed login, a login, a refresh, a password change.
  await ok(
    await w.t.request("/api/v1/users", {
      method: "POST",
      token: w.admin.token,
      json: { username: "carol", password: USER_PASSWORD, role: "user" },
    }),
    201,
  );
  expect(
    (
      await w.t.request("/api/v1/auth/login", {
        method: "POST",
        json: { username: "carol", password: WRONG_PASSWORD },
      })
    ).status,
  ).toBe(401);
  const login = await ok(
    await w.t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "carol", password: USER_PASSWORD },
    }),
  );
  const refreshed = await ok(
    await w.t.request("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: login.refresh_token },
    }),
  );
  const carol = refreshed.access_token as string;
  const changed = await w.t.request("/api/v1/auth/change-password", {
    method: "POST",
    token: carol,
    json: { current_password: USER_PASSWORD, new_password: NEW_PASSWORD },
  });
  expect(changed.status).toBe(204);
  for (const s of [USER_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, login.access_token, login.refresh_token])
    secrets.add(String(s));
  secrets.add(String(refreshed.access_token));
  secrets.add(String(refreshed.refresh_token));

  // A deploy with a secret given by the user; the generated ones are read back from /credentials.
  const d = await deploy(w, {
    catalog_id: "vaultwarden",
    hostname: "vault",
    environment: { ADMIN_TOKEN, SIGNUPS_ALLOWED: "false" },
  });
  expect(d.status).toBe(202);
  expect((await settled(w, d.app.id))!.status).toBe("running");
  const patch = await w.t.request(`/api/v1/apps/${d.app.id}`, {
    method: "PATCH",
    token: w.admin.token,
    json: { environment: { ADMIN_TOKEN: ROTATED_ADMIN_TOKEN } },
  });
  expect(patch.status).toBe(202);
  expect((await settled(w, d.app.id))!.status).toBe("running");
  secrets.add(ADMIN_TOKEN);
  secrets.add(ROTATED_ADMIN_TOKEN);

  // A deploy whose env file cannot be written (permanent: compensated), and one whose SSH drops (retried).
  await simFault(w.sim, { path: "ssh:tee", action: "http_500", message: "tee: No space left on device" });
  const failed = await deploy(w, { catalog_id: "gitea", hostname: "gitea-fails" });
  expect((await settled(w, failed.app.id))!.status).toBe("error");
  await clearFaults(w.sim);
  await simFault(w.sim, { path: "ssh:docker compose up", action: "ssh_drop", times: 1 });
  const retried = await deploy(w, { catalog_id: "gitea", hostname: "gitea-retried" });
  expect((await settled(w, retried.app.id))!.status).toBe("running");

  for (const id of [d.app.id, retried.app.id]) {
    const creds = await ok(await w.t.request(`/api/v1/apps/${id}/credentials`, { token: w.admin.token }));
    if (creds.root_password) secrets.add(String(creds.root_password));
    const env = creds.environment as Record<string, string>;
    // Every value the catalog marks secret (generated passwords and tokens).
    for (const [key, value] of Object.entries(env))
      if (/TOKEN|PASSWORD|SECRET|KEY/.test(key)) secrets.add(value);
  }
  json.restore();

  // The same kinds of lines in the pretty format: a login and a deploy.
  const p = captureLogs("debug", "pretty");
  await w.t.request("/api/v1/auth/login", {
    method: "POST",
    json: { username: "carol", password: WRONG_PASSWORD },
  });
  const again = await deploy(w, {
    catalog_id: "vaultwarden",
    hostname: "vault-two",
    environment: { ADMIN_TOKEN },
  });
  await settled(w, again.app.id);
  p.restore();
  pretty = p.lines;
});

afterAll(async () => {
  json?.restore();
  await w?.stop();
});

describe("the log of a register / login / deploy flow", () => {
  test("records the flow: access lines, job and step lines with job and app ids, the failure", () => {
    const entries = json.entries();
    const access = entries.filter((e) => e.type === "access");
    expect(access.some((e) => e.route === "/api/v1/auth/login" && e.status === 401)).toBe(true);
    expect(access.some((e) => e.route === "/api/v1/apps/deploy" && e.status === 202)).toBe(true);
    expect(access.some((e) => e.route === "/api/v1/apps/{app_id}/credentials" && e.status === 200)).toBe(
      true,
    );
    const deploys = entries.filter((e) => e.kind === "deploy_app");
    expect(deploys.some((e) => e.msg === "Job started" && typeof e.app_id === "string")).toBe(true);
    expect(deploys.filter((e) => e.msg === "Job step started").length).toBeGreaterThan(5);
    expect(deploys.some((e) => e.msg === "Job succeeded")).toBe(true);
    expect(deploys.some((e) => e.msg === "Job failed" && e.level === "error")).toBe(true);
    expect(deploys.some((e) => e.msg === "Job failed with a transient error and will be retried")).toBe(true);
    for (const line of deploys) {
      expect(line.job_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(line.app_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(
      pretty.some((l) => / INFO {2}Job step started .*job_id=\S+ kind=deploy_app app_id=\S+/.test(l)),
    ).toBe(true);
  });

  test("contains none of the passwords, tokens, host credentials or app secrets it handled", () => {
    expect(secrets.size).toBeGreaterThan(14);
    const everything = `${json.text()}\n${pretty.join("\n")}`;
    expect(everything.length).toBeGreaterThan(10_000);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(7);
      expect(everything.includes(secret), `a secret (${secret.slice(0, 3)}…) is in the log`).toBe(false);
    }
  });
});
