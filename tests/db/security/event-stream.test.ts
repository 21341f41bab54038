/**
 * App event streams over a real Bun.serve: kept alive past Bun's idle timeout with one timer per stream,
 * and closed when the user may no longer see them (docs/security.md: "Event streams").
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createUser, type Session } from "../../helpers/harness.ts";
import { type Served, serve } from "../../helpers/serve.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(600_000);

let w: SimWorld;
let s: Served;
let alice: Session;
let appId: string;
beforeAll(async () => {
  w = await startWorld({}, { SSE_KEEPALIVE_SECONDS: "2", SSE_RECHECK_SECONDS: "1" });
  s = serve(w.t);
  alice = await createUser(w.t, w.admin, "alice");
  const d = await deploy(w, { catalog_id: "it-tools", hostname: "streamed" }, alice.token);
  appId = d.app.id;
  await settled(w, appId);
});
afterAll(async () => {
  await s.stop();
  await w.stop();
});

/** A read that timed out is still pending: the next call must take its chunk, not start another read. */
const pending = new WeakMap<
  object,
  Promise<Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>>
>();

/** Reads a stream into `text` until it ends or `ms` pass; returns whether it ended. */
async function readFor(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number, into: { text: string }) {
  const deadline = Date.now() + ms;
  const decoder = new TextDecoder();
  while (Date.now() < deadline) {
    const read = pending.get(reader) ?? reader.read();
    pending.set(reader, read);
    const chunk = await Promise.race([
      read,
      Bun.sleep(Math.max(1, deadline - Date.now())).then(() => "timeout" as const),
    ]);
    if (chunk === "timeout") return false;
    pending.delete(reader);
    if (chunk.done) return true;
    into.text += decoder.decode(chunk.value);
  }
  return false;
}

const keepAlives = (text: string) => text.split(": keep-alive").length - 1;

const logEvent = (message: string) =>
  w.t.services.events.publish({
    type: "job.log",
    job_id: crypto.randomUUID(),
    app_id: appId,
    level: "info",
    message,
  });

describe("event streams", () => {
  test("an idle stream outlives Bun's 10 s idle timeout; keep-alives are steady, not a burst after events", async () => {
    const res = await s.fetch(`/api/v1/apps/${appId}/events`, { token: alice.token });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const idle = { text: "" };
    const endedWhileIdle = await readFor(reader, 13_000, idle);
    console.log(`13 s idle: ended=${endedWhileIdle}, ${keepAlives(idle.text)} keep-alives`);
    expect(endedWhileIdle).toBe(false);
    expect(idle.text).toContain("event: app.status");
    expect(keepAlives(idle.text)).toBeGreaterThanOrEqual(4);
    expect(keepAlives(idle.text)).toBeLessThanOrEqual(8);
    // A burst of 30 events, then 3 s of quiet: at most the one or two keep-alives of one timer.
    for (let i = 0; i < 30; i++) await logEvent(`burst ${i}`);
    const after = { text: "" };
    expect(await readFor(reader, 3_000, after)).toBe(false);
    console.log(`after a burst of 30 events: ${keepAlives(after.text)} keep-alives in 3 s`);
    expect(after.text.split("event: job.log").length - 1).toBe(30);
    expect(keepAlives(after.text)).toBeLessThanOrEqual(2);
    await reader.cancel();
  });

  test("a user disabled while their stream is open gets a final `end` and no further events", async () => {
    const res = await s.fetch(`/api/v1/apps/${appId}/events`, { token: alice.token });
    const reader = res.body!.getReader();
    const seen = { text: "" };
    await readFor(reader, 500, seen);
    await logEvent("before");
    const disable = await w.t.request(`/api/v1/users/${alice.id}`, {
      method: "PATCH",
      token: w.admin.token,
      json: { disabled: true },
    });
    expect(disable.status).toBe(200);
    await Bun.sleep(2_500); // past the 1 s re-check
    for (let i = 0; i < 22; i++) await logEvent(`after ${i}`);
    const ended = await readFor(reader, 3_000, seen);
    console.log(
      `disabled user: stream ended=${ended}; events after disabling: ${seen.text.split('"after ').length - 1}`,
    );
    expect(ended).toBe(true);
    expect(seen.text).toContain('"message":"before"');
    expect(seen.text).toContain("event: end");
    expect(seen.text).toContain("disabled");
    expect(seen.text).not.toContain('"after ');
  });
});
