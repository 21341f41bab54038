import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { z } from "zod";
import { ENQUEUEABLE_JOB_TYPES, jobImplementations, registerJobs } from "../../../src/boot/jobs.ts";
import type { AccessService } from "../../../src/features/access/access.service.ts";
import type { AppDeps } from "../../../src/features/apps/index.ts";
import type { NotificationsService } from "../../../src/features/notifications/notifications.service.ts";
import { defineJob, implementJob, jobTypesIn } from "../../../src/queue/define.ts";
import { JobRegistry } from "../../../src/queue/registry.ts";

// The sagas only close over their dependencies (nothing is read until a job runs), so an empty set is
// enough to list the implementations the container registers.
const implementations = () =>
  jobImplementations({} as AppDeps, {} as NotificationsService, () => ({}) as AccessService);

const Ping = defineJob({ kind: "ping", payload: z.object({}), steps: ["ping"] });
const Pong = defineJob({ kind: "pong", payload: z.object({}), steps: ["pong"] });
const noop = { run: async () => {} };

describe("job registry", () => {
  test("registering a kind twice throws and names the kind", () => {
    const registry = new JobRegistry();
    registry.register(implementJob(Ping, noop));
    expect(() => registry.register(implementJob(Ping, noop))).toThrow(/"ping" is registered twice/);
    expect(registry.kinds()).toEqual(["ping"]);
  });

  test("requireAll names every enqueueable kind without an implementation", () => {
    const registry = new JobRegistry();
    registry.register(implementJob(Ping, noop));
    expect(() => registry.requireAll([Ping, Pong])).toThrow(/no implementation: pong\./);
    expect(() => registry.requireAll([Ping])).not.toThrow();
  });

  test("jobTypesIn finds the job types among a module's exports and nothing else", () => {
    expect(jobTypesIn({ Ping, Pong, steps: ["a"], other: { kind: "x" }, n: 1 })).toEqual([Ping, Pong]);
  });
});

describe("start-up registration (src/boot/jobs.ts, what buildServices runs)", () => {
  test("every enqueueable job type has exactly one implementation", () => {
    const registry = new JobRegistry();
    registerJobs(registry, implementations());
    expect(registry.kinds().sort()).toEqual(ENQUEUEABLE_JOB_TYPES.map((t) => t.kind).sort());
  });

  test("start-up refuses when an enqueueable kind has no implementation, naming it", () => {
    const without = implementations().filter((i) => i.type.kind !== "restore_app");
    expect(() => registerJobs(new JobRegistry(), without)).toThrow(
      /Job kinds that can be enqueued have no implementation: restore_app\./,
    );
  });

  test("start-up refuses a kind implemented twice", () => {
    const twice = [...implementations(), implementations()[0]!];
    expect(() => registerJobs(new JobRegistry(), twice)).toThrow(/registered twice/);
  });

  test("every job type defined in src/ is in the enqueueable list (no job-types module left out)", async () => {
    const root = new URL("../../../src/", import.meta.url).pathname;
    const defined: string[] = [];
    for await (const file of new Glob("**/*.ts").scan(root)) {
      const text = await Bun.file(root + file).text();
      for (const m of text.matchAll(/defineJob\(\{\s*kind:\s*"([a-z_]+)"/g)) defined.push(m[1]!);
    }
    expect(defined.length).toBeGreaterThan(10);
    expect(defined.sort()).toEqual(ENQUEUEABLE_JOB_TYPES.map((t) => t.kind).sort());
  });
});
