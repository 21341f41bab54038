import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { ALPINE, Api, boot, SPEED } from "./helpers.ts";

let sim: RunningSimulator;
let api: Api;

beforeAll(async () => {
  // A tenth of the other files' speed: these tests look at tasks while they run, and at speed 60 a
  // download or a start is over in tens of milliseconds — sooner than a loaded machine (a CI run beside
  // other work) answers the next request.
  sim = await boot({ speed: SPEED / 10 });
  api = new Api(sim);
});
afterAll(() => sim.stop());

describe("tasks", () => {
  test("status goes running → stopped; exitstatus only once stopped; tokens split into user + tokenid", async () => {
    const upid = await api.post<string>("/nodes/pve1/aplinfo", { storage: "local", template: ALPINE });
    const path = `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`;
    const running = await api.get<Record<string, unknown>>(path);
    expect(running).toMatchObject({
      upid,
      node: "pve1",
      type: "download",
      id: ALPINE,
      user: "root@pam",
      tokenid: "proximity",
      status: "running",
    });
    expect(running.exitstatus).toBeUndefined();
    const [, , pid, pstart, starttime] = upid.split(":");
    expect(running.pid).toBe(Number.parseInt(pid!, 16));
    expect(running.pstart).toBe(Number.parseInt(pstart!, 16));
    expect(running.starttime).toBe(Number.parseInt(starttime!, 16));
    expect(Math.abs(Number(running.starttime) - Date.now() / 1000)).toBeLessThan(5);

    const done = await api.waitTask(upid);
    expect(done).toMatchObject({ status: "stopped", exitstatus: "OK" });
  });

  test("the log is [{n,t}] with total, paged by start/limit, ending in TASK OK", async () => {
    const tasks = await api.get<{ upid: string }[]>("/nodes/pve1/tasks");
    const upid = tasks[0]!.upid;
    const r = await api.request<{ n: number; t: string }[]>(
      "GET",
      `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`,
    );
    const lines = r.body!.data;
    expect(r.body!.total).toBe(lines.length);
    expect(lines[0]!.n).toBe(1);
    expect(lines[0]!.t).toStartWith("downloading http://download.proxmox.com/images/system/");
    expect(lines.at(-1)!.t).toBe("TASK OK");
    const page = await api.get<{ n: number }[]>(`/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`, {
      start: 2,
      limit: 2,
    });
    expect(page.map((l) => l.n)).toEqual([3, 4]);
  });

  test("a malformed UPID and an unknown one are 400 with PVE's field errors", async () => {
    const bad = await api.request("GET", "/nodes/pve1/tasks/garbage/status");
    expect(bad.status).toBe(400);
    expect(bad.body?.errors).toEqual({ upid: "unable to parse worker upid" });
    const unknown = await api.request(
      "GET",
      `/nodes/pve1/tasks/${encodeURIComponent("UPID:pve1:00001234:00005678:65A1B2C3:vzstart:100:root@pam:")}/status`,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body?.errors).toEqual({ upid: "no such task" });
  });

  test("the task list defaults to finished tasks; source=active shows running ones; filters apply", async () => {
    await api.createCt("pve1", 100);
    const upid = await api.post<string>("/nodes/pve1/lxc/100/status/start");
    const active = await api.get<{ upid: string; status: string }[]>("/nodes/pve1/tasks", {
      source: "active",
    });
    expect(active).toEqual([expect.objectContaining({ upid, status: "RUNNING" })]);
    const archive = await api.get<{ upid: string }[]>("/nodes/pve1/tasks");
    expect(archive.map((t) => t.upid)).not.toContain(upid);
    await api.waitTask(upid);
    const byType = await api.get<{ type: string; status: string; endtime: number }[]>("/nodes/pve1/tasks", {
      typefilter: "vzstart",
    });
    expect(byType).toEqual([
      expect.objectContaining({ type: "vzstart", status: "OK", endtime: expect.any(Number) }),
    ]);
    const failed = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 101,
      ostemplate: "local:vztmpl/none.tar.xz",
      rootfs: "local-lvm:1",
    });
    await api.waitTask(failed);
    const errors = await api.get<{ upid: string; status: string }[]>("/nodes/pve1/tasks", { errors: 1 });
    expect(errors).toEqual([
      expect.objectContaining({
        upid: failed,
        status: "unable to create CT 101 - can't find file 'local:vztmpl/none.tar.xz'",
      }),
    ]);
  });

  test("DELETE on a running task stops it with an error status", async () => {
    const upid = await api.post<string>("/nodes/pve1/vzdump", { vmid: "100", storage: "local" });
    const r = await api.request("DELETE", `/nodes/pve1/tasks/${encodeURIComponent(upid)}`);
    expect(r.body).toEqual({ data: null });
    expect((await api.waitTask(upid)).exitstatus).not.toBe("OK");
  });
});
