/** waitForTask against a recording server that plays a task's life: running → stopped. */
import { afterEach, describe, expect, test } from "bun:test";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import { ProxmoxError } from "../../../src/proxmox/errors.ts";
import { waitForTask } from "../../../src/proxmox/tasks.ts";
import { json, type Recorded, startRecorder } from "./helpers/recorder.ts";

const UPID = "UPID:pve1:0019F0A2:0A3C5B11:6650A1B2:vzcreate:101:root@pam!proximity:";
const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

async function taskServer(polls: number, exitstatus: string, logLines = 3) {
  let seen = 0;
  const log = Array.from({ length: logLines }, (_, i) => ({ n: i + 1, t: `line ${i + 1}` }));
  const rec = await startRecorder((r: Recorded) => {
    if (r.path.endsWith("/status")) {
      seen++;
      const running = seen <= polls;
      return json({
        upid: UPID,
        node: "pve1",
        pid: 1,
        pstart: 1,
        starttime: 1,
        type: "vzcreate",
        id: "101",
        user: "root@pam!proximity",
        status: running ? "running" : "stopped",
        ...(running ? {} : { exitstatus }),
      });
    }
    if (r.path.endsWith("/log")) {
      const start = Number(r.query.get("start") ?? 0);
      const limit = Number(r.query.get("limit") ?? 50);
      return json(log.slice(start, limit ? start + limit : undefined), { extra: { total: log.length } });
    }
    return undefined;
  });
  stops.push(rec.stop);
  const client = new ProxmoxClient({
    apiUrl: rec.url,
    auth: { kind: "token", tokenId: "a@pve!b", tokenSecret: "s" },
  });
  return { rec, client, polls: () => seen };
}

describe("waitForTask", () => {
  test("polls until stopped with OK", async () => {
    const { client, polls, rec } = await taskServer(3, "OK");
    const status = await waitForTask(client, "pve1", UPID, { pollMs: 5 });
    expect(status.exitstatus).toBe("OK");
    expect(polls()).toBe(4);
    expect(rec.requests[0]!.path).toBe(`/nodes/pve1/tasks/${encodeURIComponent(UPID)}/status`);
  });

  test("WARNINGS: n counts as success", async () => {
    const { client } = await taskServer(0, "WARNINGS: 2");
    expect((await waitForTask(client, "pve1", UPID, { pollMs: 5 })).exitstatus).toBe("WARNINGS: 2");
  });

  test("an error exit status raises task_failed with the last 20 log lines", async () => {
    const { client } = await taskServer(
      1,
      "unable to create CT 101 - can't find file 'local:vztmpl/x.tar.zst'",
      45,
    );
    let err: ProxmoxError | undefined;
    try {
      await waitForTask(client, "pve1", UPID, { pollMs: 5 });
    } catch (e) {
      err = e as ProxmoxError;
    }
    expect(err).toBeInstanceOf(ProxmoxError);
    expect(err!.kind).toBe("task_failed");
    expect(err!.upid).toBe(UPID);
    expect(err!.node).toBe("pve1");
    expect(err!.pveMessage).toBe("unable to create CT 101 - can't find file 'local:vztmpl/x.tar.zst'");
    expect(err!.taskLog).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 26}`));
    expect(err!.code).toBe("PROXMOX_ERROR");
  });

  test("gives up after the overall timeout with kind timeout", async () => {
    const { client } = await taskServer(1_000_000, "OK");
    const started = performance.now();
    const err = (await waitForTask(client, "pve1", UPID, { pollMs: 10, timeoutMs: 150 }).catch(
      (e) => e,
    )) as ProxmoxError;
    expect(err).toBeInstanceOf(ProxmoxError);
    expect(err.kind).toBe("timeout");
    expect(err.upid).toBe(UPID);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("refuses something that is not a UPID before polling", async () => {
    const { client, polls } = await taskServer(0, "OK");
    await expect(waitForTask(client, "pve1", "OK")).rejects.toThrow(/not a UPID/);
    expect(polls()).toBe(0);
  });
});
