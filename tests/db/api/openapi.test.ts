/**
 * The public contract: every operation of the served OpenAPI document has a stable operationId, a declared
 * tag and an explicit security declaration, and documents its outcomes. scripts/lint-openapi.ts (in
 * `bun run lint`) lints the same document with Redocly; these checks cover what redocly.yaml turns off.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { openApiDocument } from "../../../src/boot/app.ts";
import { ERROR_STATUS } from "../../../src/core/errors.ts";
import { createTestApp, type TestApp } from "../../helpers/harness.ts";
import { PUBLIC_ROUTES } from "../../helpers/route-security.ts";

// The embedded database starts slowly on a busy machine (set per file: a preload's default reaches only
// the first file): about 3× the ~20 s setup measured alone on the 2-core machine.
setDefaultTimeout(60_000);

interface OperationObject {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
}

interface Document {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, { properties?: Record<string, unknown> }>;
    securitySchemes?: Record<string, unknown>;
  };
}

/**
 * Generated clients name their methods after these: renaming one breaks every client, so a change here
 * must be deliberate. New operations only need an id of their own (checked below), not an entry here.
 */
const STABLE_IDS: Record<string, string> = {
  "GET /health": "getHealth",
  "GET /ready": "getReadiness",
  "GET /metrics": "getMetrics",
  "GET /api/v1/system/info": "getSystemInfo",
  "GET /api/v1/system/sentry": "getSentryStatus",
  "POST /api/v1/system/sentry-test": "raiseSentryTestError",
  "POST /api/v1/auth/register": "register",
  "POST /api/v1/auth/login": "login",
  "POST /api/v1/auth/refresh": "refreshTokens",
  "POST /api/v1/auth/logout": "logout",
  "GET /api/v1/auth/me": "getCurrentUser",
  "POST /api/v1/auth/change-password": "changePassword",
  "GET /api/v1/users": "listUsers",
  "POST /api/v1/users": "createUser",
  "GET /api/v1/users/{user_id}": "getUser",
  "PATCH /api/v1/users/{user_id}": "updateUser",
  "DELETE /api/v1/users/{user_id}": "deleteUser",
  "GET /api/v1/settings": "getSettings",
  "PUT /api/v1/settings": "updateSettings",
  "GET /api/v1/audit": "listAuditEvents",
  "GET /api/v1/hosts": "listHosts",
  "POST /api/v1/hosts": "createHost",
  "GET /api/v1/hosts/{host_id}": "getHost",
  "PATCH /api/v1/hosts/{host_id}": "updateHost",
  "DELETE /api/v1/hosts/{host_id}": "deleteHost",
  "POST /api/v1/hosts/{host_id}/test": "testHost",
  "POST /api/v1/hosts/{host_id}/sync": "syncHost",
  "GET /api/v1/nodes": "listNodes",
  "GET /api/v1/jobs": "listJobs",
  "GET /api/v1/jobs/{job_id}": "getJob",
  "GET /api/v1/catalog": "listCatalogApps",
  "GET /api/v1/catalog/categories": "listCatalogCategories",
  "GET /api/v1/catalog/{catalog_id}": "getCatalogApp",
  "POST /api/v1/catalog/reload": "reloadCatalog",
  "GET /api/v1/apps": "listApps",
  "POST /api/v1/apps/deploy": "deployApp",
  "GET /api/v1/apps/discover": "discoverContainers",
  "POST /api/v1/apps/adopt": "adoptContainer",
  "POST /api/v1/apps/reconcile": "reconcileApps",
  "GET /api/v1/apps/{app_id}": "getApp",
  "PATCH /api/v1/apps/{app_id}": "reconfigureApp",
  "DELETE /api/v1/apps/{app_id}": "deleteApp",
  "POST /api/v1/apps/{app_id}/actions": "runAppAction",
  "POST /api/v1/apps/{app_id}/update": "updateApp",
  "GET /api/v1/apps/{app_id}/updates": "listAppUpdates",
  "PUT /api/v1/apps/{app_id}/update-policy": "setAppUpdatePolicy",
  "GET /api/v1/notifications/channels": "listNotificationChannels",
  "POST /api/v1/notifications/channels": "createNotificationChannel",
  "GET /api/v1/notifications/channels/{channel_id}": "getNotificationChannel",
  "PATCH /api/v1/notifications/channels/{channel_id}": "updateNotificationChannel",
  "DELETE /api/v1/notifications/channels/{channel_id}": "deleteNotificationChannel",
  "POST /api/v1/notifications/channels/{channel_id}/test": "testNotificationChannel",
  "GET /api/v1/notifications/subscriptions": "listNotificationSubscriptions",
  "PUT /api/v1/notifications/subscriptions/{channel_id}": "subscribeNotificationChannel",
  "DELETE /api/v1/notifications/subscriptions/{channel_id}": "unsubscribeNotificationChannel",
  "POST /api/v1/apps/{app_id}/clone": "cloneApp",
  "GET /api/v1/apps/{app_id}/logs": "getAppLogs",
  "GET /api/v1/apps/{app_id}/container-logs": "getAppContainerLogs",
  "GET /api/v1/apps/{app_id}/stats": "getAppStats",
  "GET /api/v1/apps/{app_id}/credentials": "getAppCredentials",
  "GET /api/v1/apps/{app_id}/events": "streamAppEvents",
  "GET /api/v1/backups": "listBackups",
  "GET /api/v1/backups/{backup_id}": "getBackup",
  "DELETE /api/v1/backups/{backup_id}": "deleteBackup",
  "GET /api/v1/apps/{app_id}/backups": "listAppBackups",
  "POST /api/v1/apps/{app_id}/backups": "backUpApp",
  "GET /api/v1/apps/{app_id}/backups/{backup_id}": "getAppBackup",
  "DELETE /api/v1/apps/{app_id}/backups/{backup_id}": "deleteAppBackup",
  "POST /api/v1/apps/{app_id}/backups/{backup_id}/restore": "restoreAppBackup",
  "GET /api/v1/apps/{app_id}/backup-schedule": "getAppBackupSchedule",
  "PUT /api/v1/apps/{app_id}/backup-schedule": "setAppBackupSchedule",
};

let t: TestApp;
let doc: Document;
let operations: { key: string; op: OperationObject }[];

beforeAll(async () => {
  t = await createTestApp();
  doc = (await (await t.request("/api/v1/openapi.json")).json()) as Document;
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );
});

describe("every operation of the OpenAPI document", () => {
  test("has a unique camelCase operationId, and the known ones keep theirs", () => {
    expect(operations.length).toBeGreaterThanOrEqual(Object.keys(STABLE_IDS).length);
    const ids = new Map<string, string>();
    for (const { key, op } of operations) {
      expect(op.operationId, key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      expect(ids.get(op.operationId!), `${key} reuses the operationId of`).toBeUndefined();
      ids.set(op.operationId!, key);
    }
    const actual = Object.fromEntries(
      operations.filter(({ key }) => key in STABLE_IDS).map(({ key, op }) => [key, op.operationId]),
    );
    expect(actual).toEqual(STABLE_IDS);
  });

  test("has a tag that the document declares and describes", () => {
    const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { key, op } of operations) {
      expect(op.tags?.length, key).toBeGreaterThan(0);
      for (const tag of op.tags ?? []) expect(declared.get(tag), `${key} tag ${tag}`).toBeTruthy();
    }
  });

  test("declares its security: a declared scheme, or an explicit empty list on exactly the public routes", () => {
    const schemes = Object.keys(doc.components.securitySchemes ?? {});
    expect(schemes).toContain("bearer");
    for (const { key, op } of operations) {
      expect(Array.isArray(op.security), `${key} declares security`).toBe(true);
      if (PUBLIC_ROUTES.has(key)) {
        expect(op.security, key).toEqual([]);
        continue;
      }
      expect(op.security!.length, `${key} names a scheme`).toBeGreaterThan(0);
      for (const requirement of op.security!) {
        expect(Object.keys(requirement).length, key).toBeGreaterThan(0);
        for (const name of Object.keys(requirement)) expect(schemes, `${key} scheme ${name}`).toContain(name);
      }
    }
    const publicOps = operations.filter(({ op }) => op.security?.length === 0).map(({ key }) => key);
    expect(new Set(publicOps)).toEqual(PUBLIC_ROUTES);
  });

  test("documents a success and a client error (except the probes, the Sentry test error and the gate's redirect)", () => {
    const probes = new Set(["GET /health", "GET /ready"]);
    for (const { key, op } of operations) {
      const statuses = Object.keys(op.responses);
      // The gate's callback succeeds with a redirect (302, the pass cookie set) by design.
      if (key !== "POST /api/v1/system/sentry-test" && key !== "GET /api/v1/access/gate/callback")
        expect(
          statuses.some((s) => s.startsWith("2")),
          `${key} 2XX`,
        ).toBe(true);
      if (!probes.has(key))
        expect(
          statuses.some((s) => s.startsWith("4")),
          `${key} 4XX`,
        ).toBe(true);
    }
  });
});

test("the Error schema lists exactly the codes of core/errors.ts", () => {
  const error = doc.components.schemas.Error!.properties!.error as {
    properties: { code: { enum: string[] } };
  };
  expect([...error.properties.code.enum].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
});

test("the lint script's document is the one the app serves", () => {
  expect(openApiDocument(t.services.config)).toEqual(doc as unknown as ReturnType<typeof openApiDocument>);
});
