/**
 * Notification channels through the API: a webhook whose signature a receiver verifies by recomputing the
 * HMAC, ntfy, Gotify and email receivers, secrets never returned, bad input refused naming the field,
 * durable delivery with retries, failures visible on the channel, and dispatch that never waits for a
 * channel.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import { jobs, notificationChannels } from "../../../src/db/schema.ts";
import { type FakeSmtp, mailSubject, mailText, startFakeSmtp } from "../../helpers/fake-smtp.ts";
import { appWithAdmin, errorOf, type Session, type TestApp } from "../../helpers/harness.ts";

setDefaultTimeout(60_000);

interface Received {
  path: string;
  headers: Headers;
  raw: string;
}

/** An HTTP receiver on loopback: records requests; `answers` are the statuses of the next requests. */
function receiver() {
  const got: Received[] = [];
  const answers: number[] = [];
  let hang = false;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      got.push({ path: new URL(req.url).pathname, headers: req.headers, raw: await req.text() });
      if (hang) await Bun.sleep(30_000);
      return new Response("ok", { status: answers.shift() ?? 200 });
    },
  });
  return {
    got,
    answers,
    url: `http://127.0.0.1:${server.port}`,
    hang: (v: boolean) => {
      hang = v;
    },
    stop: () => server.stop(true),
  };
}

const SECRET = "whsec-0123456789abcdef";
let hook: ReturnType<typeof receiver>;
let smtp: FakeSmtp;
let t: TestApp;
let admin: Session;

beforeAll(async () => {
  hook = receiver();
  smtp = await startFakeSmtp();
});
afterAll(async () => {
  hook.stop();
  await smtp.close();
});
beforeEach(async () => {
  hook.got.length = 0;
  hook.answers.length = 0;
  hook.hang(false);
  smtp.messages.length = 0;
  ({ t, admin } = await appWithAdmin({}, { jobs: { pollMs: 20, retryBaseMs: 20, leaseMs: 5_000 } }));
});

/** Runs the worker until every delivery job has finished (succeeded or failed). */
async function deliverAll(): Promise<void> {
  t.services.jobs.start();
  const end = Date.now() + 30_000;
  for (;;) {
    const rows = await t.services.database.db
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "deliver_notification"));
    if (rows.every((r) => r.status === "succeeded" || r.status === "failed")) break;
    if (Date.now() > end) throw new Error("deliveries still pending");
    await Bun.sleep(20);
  }
  await t.services.jobs.stop(1_000);
}

const api = (path: string, init: Parameters<TestApp["request"]>[1] = {}) =>
  t.request(path, { token: admin.token, ...init });

async function createChannel(body: Record<string, unknown>) {
  const res = await api("/api/v1/notifications/channels", { method: "POST", json: body });
  const json = (await res.json()) as {
    channel: { id: string; has_secret: boolean } & Record<string, unknown>;
  };
  return { res, channel: json.channel, text: JSON.stringify(json) };
}

const webhook = (events = ["test", "update.available"]) => ({
  name: "hooks",
  kind: "webhook",
  config: { url: `${hook.url}/proximity` },
  secret: SECRET,
  events,
});

describe("webhook", () => {
  test("the test event arrives signed; the receiver verifies the signature by recomputing the HMAC", async () => {
    const { res, channel, text } = await createChannel(webhook());
    expect(res.status).toBe(201);
    expect(channel.has_secret).toBe(true);
    expect(text).not.toContain(SECRET);
    const [row] = await t.services.database.db.select().from(notificationChannels);
    expect(row!.secretEnc).not.toContain(SECRET);

    const tested = await api(`/api/v1/notifications/channels/${channel.id}/test`, { method: "POST" });
    const outcome = (await tested.json()) as { ok: boolean; channel: { last_success_at: string | null } };
    expect(outcome.ok).toBe(true);
    expect(outcome.channel.last_success_at).not.toBeNull();

    const [req] = hook.got;
    expect(req!.path).toBe("/proximity");
    const expected = `sha256=${createHmac("sha256", SECRET).update(req!.raw).digest("hex")}`;
    const given = req!.headers.get("x-proximity-signature")!;
    expect(timingSafeEqual(Buffer.from(given), Buffer.from(expected))).toBe(true);
    // Another secret does not produce it: the signature binds the secret and the exact body.
    expect(given).not.toBe(`sha256=${createHmac("sha256", "other").update(req!.raw).digest("hex")}`);
    const body = JSON.parse(req!.raw) as { event: string; occurred_at: string; details: unknown };
    expect(body.event).toBe("test");
    expect(Number.isNaN(Date.parse(body.occurred_at))).toBe(false);
  });

  test("update.available is delivered by a durable job with the app's details", async () => {
    await createChannel(webhook());
    await t.services.notifications.notify({
      event: "update.available",
      details: { from: "1.36", to: "1.37", notes: "Read the release notes" },
    });
    await deliverAll();
    const body = JSON.parse(hook.got[0]!.raw) as { event: string; details: Record<string, unknown> };
    expect(body).toMatchObject({ event: "update.available", details: { from: "1.36", to: "1.37" } });
    const [job] = await t.services.database.db
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "deliver_notification"));
    expect(job!.status).toBe("succeeded");
  });

  test("an event the channel did not select is not sent", async () => {
    await createChannel(webhook(["app.down"]));
    await t.services.notifications.notify({ event: "update.available", details: {} });
    const queued = await t.services.database.db
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "deliver_notification"));
    expect(queued).toEqual([]);
  });

  test("a failing receiver is retried with backoff until it answers; the error shows on the channel meanwhile", async () => {
    const { channel } = await createChannel(webhook());
    hook.answers.push(503, 503);
    await t.services.notifications.notify({ event: "update.available", details: { to: "2" } });
    await deliverAll();
    expect(hook.got.length).toBe(3);
    const after = (await (await api(`/api/v1/notifications/channels/${channel.id}`)).json()) as {
      channel: { last_error: string; last_success_at: string | null };
    };
    expect(after.channel.last_error).toContain("HTTP 503");
    expect(after.channel.last_success_at).not.toBeNull();
  });

  test("a test against a refusing receiver says why, and records it on the channel", async () => {
    const { channel } = await createChannel(webhook());
    hook.answers.push(404);
    const r = (await (
      await api(`/api/v1/notifications/channels/${channel.id}/test`, { method: "POST" })
    ).json()) as {
      ok: boolean;
      error: string;
      channel: { last_error: string };
    };
    expect(r.ok).toBe(false);
    expect(r.error).toContain("HTTP 404");
    expect(r.channel.last_error).toContain("HTTP 404");
  });

  test("dispatch never waits for a channel: a receiver that hangs does not slow the caller", async () => {
    await createChannel(webhook());
    hook.hang(true);
    const started = performance.now();
    await t.services.notifications.notify({ event: "update.available", details: {} });
    const elapsed = performance.now() - started;
    const queued = await t.services.database.db
      .select()
      .from(jobs)
      .where(eq(jobs.kind, "deliver_notification"));
    expect(queued.length).toBe(1);
    // Enqueued, not sent: the caller went on long before the receiver's 30 s (and the sender's 10 s timeout).
    expect(elapsed).toBeLessThan(5_000);
    expect(hook.got.length).toBe(0);
  });
});

describe("ntfy, Gotify and email", () => {
  /** Creates the channel and sends it the test notification: the request the receiver got. */
  async function receivedTest(body: Record<string, unknown>) {
    const { channel } = await createChannel(body);
    await api(`/api/v1/notifications/channels/${channel.id}/test`, { method: "POST" });
    return hook.got[0]!;
  }

  test("ntfy publishes JSON to the server with the topic and the token", async () => {
    const req = await receivedTest({
      name: "phone",
      kind: "ntfy",
      config: { server: hook.url, topic: "proximity-alerts" },
      secret: "tk_ntfy",
      events: ["test"],
    });
    expect(req.path).toBe("/");
    expect(req.headers.get("authorization")).toBe("Bearer tk_ntfy");
    expect(JSON.parse(req.raw)).toMatchObject({
      topic: "proximity-alerts",
      title: "Proximity: test notification",
    });
  });

  test("Gotify posts /message with the application token in its header", async () => {
    const req = await receivedTest({
      name: "gotify",
      kind: "gotify",
      config: { server: `${hook.url}/` },
      secret: "AppToken1",
      events: ["test"],
    });
    expect(req.path).toBe("/message");
    expect(req.headers.get("x-gotify-key")).toBe("AppToken1");
    expect(JSON.parse(req.raw)).toMatchObject({ title: "Proximity: test notification", priority: 5 });
  });

  test("email goes to every recipient with the event as subject", async () => {
    const { channel } = await createChannel({
      name: "mail",
      kind: "email",
      config: {
        host: "127.0.0.1",
        port: smtp.port,
        security: "none",
        from: "proximity@example.org",
        to: ["ops@example.org"],
      },
      events: ["test"],
    });
    const r = (await (
      await api(`/api/v1/notifications/channels/${channel.id}/test`, { method: "POST" })
    ).json()) as {
      ok: boolean;
    };
    expect(r.ok).toBe(true);
    const [m] = smtp.messages;
    expect(m!.to).toEqual(["ops@example.org"]);
    expect(mailSubject(m!.data)).toBe("Proximity: test notification");
    expect(mailText(m!.data)).toContain("the channel works");
  });
});

/** A webhook channel body for the table below (built before any receiver runs). */
const hookBody = {
  name: "hooks",
  kind: "webhook",
  config: { url: "http://127.0.0.1:9/hook" },
  secret: SECRET,
  events: ["test"],
};

describe("bad input", () => {
  test.each([
    [{ ...hookBody, config: { url: "not a url" } }, "config.url"],
    [{ ...hookBody, config: { url: "ftp://example.org/x" } }, "config.url"],
    [{ ...hookBody, config: { url: "http://169.254.169.254/latest/meta-data" } }, "config.url"],
    [{ ...hookBody, config: { url: "http://[fe80::1]/hook" } }, "config.url"],
    [{ ...hookBody, events: ["app.exploded"] }, "events.0"],
    [{ ...hookBody, secret: "short" }, "secret"],
    [
      {
        name: "m",
        kind: "email",
        config: { host: "smtp.example.org", port: 70000, from: "a@example.org", to: ["x@example.org"] },
        events: ["test"],
      },
      "config.port",
    ],
    [
      {
        name: "m",
        kind: "email",
        config: { host: "smtp.example.org", from: "not-mail", to: ["x@example.org"] },
        events: ["test"],
      },
      "config.from",
    ],
    [
      {
        name: "m",
        kind: "email",
        config: { host: "smtp.example.org", security: "ssl3", from: "a@example.org", to: ["x@example.org"] },
        events: ["test"],
      },
      "config.security",
    ],
    [
      {
        name: "m",
        kind: "email",
        config: {
          host: "smtp.example.org",
          security: "none",
          username: "u",
          from: "a@example.org",
          to: ["x@example.org"],
        },
        secret: "p",
        events: ["test"],
      },
      "config.security",
    ],
  ])("%j is refused naming %s; nothing is stored", async (body, field) => {
    const res = await api("/api/v1/notifications/channels", { method: "POST", json: body });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details?.map((d) => d.field)).toContain(field);
    expect(await t.services.database.db.select().from(notificationChannels)).toEqual([]);
  });

  test("a taken name is a conflict naming the field; a PATCH of config is validated against the kind", async () => {
    const { channel } = await createChannel(webhook());
    const again = await api("/api/v1/notifications/channels", {
      method: "POST",
      json: { ...webhook(), name: "HOOKS" },
    });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).details?.[0]?.field).toBe("name");
    const bad = await api(`/api/v1/notifications/channels/${channel.id}`, {
      method: "PATCH",
      json: { config: { url: "http://169.254.169.254/" } },
    });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details?.[0]?.field).toBe("config.url");
  });
});
