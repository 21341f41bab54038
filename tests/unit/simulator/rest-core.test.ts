import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { request } from "node:http";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { Api, boot } from "./helpers.ts";

let sim: RunningSimulator;
let api: Api;

beforeAll(async () => {
  sim = await boot({ authFailDelayMs: 120 });
  api = new Api(sim);
});
afterAll(() => sim.stop());

describe("envelope and transport", () => {
  test("success is HTTP 200 {data} with PVE's headers", async () => {
    const r = await api.request("GET", "/version");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    expect(r.headers.get("server")).toBe("pve-api-daemon/3.0");
    expect(r.body).toEqual({ data: { version: "9.2.11", release: "9.2", repoid: expect.any(String) } });
  });

  test("a body on GET or DELETE is refused with 501", async () => {
    // fetch() refuses to send a GET body, so speak HTTP through node:http.
    const raw = (method: string) =>
      new Promise<{ status: number; reason: string }>((resolve, reject) => {
        const url = new URL(`${sim.apiUrl}/api2/json/nodes/pve1/lxc/100`);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method,
            headers: {
              Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}`,
              "Content-Type": "application/x-www-form-urlencoded",
              "Content-Length": "7",
            },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode!, reason: res.statusMessage! }));
          },
        );
        req.on("error", reject);
        req.end("purge=1");
      });
    expect(await raw("GET")).toEqual({ status: 501, reason: "Unexpected content for method 'GET'" });
    expect(await raw("DELETE")).toEqual({ status: 501, reason: "Unexpected content for method 'DELETE'" });
  });

  test("an unknown path is 501 'Method ... not implemented' (after authentication)", async () => {
    const r = await api.request("GET", "/nodes/pve1/foo");
    expect(r.status).toBe(501);
    expect(r.body?.message).toBe("Method 'GET /nodes/pve1/foo' not implemented\n");
    const anon = await fetch(`${sim.apiUrl}/api2/json/nodes/pve1/foo`);
    expect(anon.status).toBe(401);
  });

  test("a node outside the cluster fails like PVE's DNS fallback (500)", async () => {
    const r = await api.request("GET", "/nodes/pve9/lxc");
    expect(r.status).toBe(500);
    expect(r.statusText).toStartWith("hostname lookup 'pve9' failed");
    expect(r.body?.data).toBeNull();
  });

  test("JSON bodies are accepted, including real booleans", async () => {
    const r = await api.request(
      "POST",
      "/nodes/pve1/aplinfo",
      {},
      { json: { storage: "local-lvm", template: "x" } },
    );
    // Passed verification (storage is a valid id), failed in the handler: the storage holds no templates.
    expect(r.status).toBe(500);
    expect(r.body?.message).toBe("storage 'local-lvm' does not support templates\n");
  });
});

describe("parameter verification", () => {
  test("unknown parameter, wrong type, form boolean 'true', range and enum errors come together", async () => {
    const r = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: "abc",
      ostemplate: "local:vztmpl/x.tar.zst",
      restore: "true",
      memory: 8,
      arch: "sparc",
      bogus: 1,
    });
    expect(r.status).toBe(400);
    expect(r.statusText).toBe("Parameter verification failed.");
    expect(r.body).toEqual({
      data: null,
      errors: {
        vmid: "type check ('integer') failed - got 'abc'",
        restore: "type check ('boolean') failed - got 'true'",
        memory: "value must have a minimum value of 16",
        arch: "value 'sparc' does not have a value in the enumeration 'amd64, i386, arm64, armhf, riscv32, riscv64'",
        bogus: "property is not defined in schema and the schema does not allow additional properties",
      },
      message: "Parameter verification failed.\n",
    });
  });

  test("missing required parameters and format errors", async () => {
    const r = await api.request("POST", "/nodes/pve1/lxc", { hostname: "my_app", password: "abc" });
    expect(r.status).toBe(400);
    expect(r.body?.errors).toEqual({
      vmid: "property is missing and it is not optional",
      ostemplate: "property is missing and it is not optional",
      hostname: "invalid format - value does not look like a valid DNS name\n",
      password: "value must be at least 5 characters long",
    });
  });

  test("property strings are checked key by key", async () => {
    const r = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: 150,
      ostemplate: "local:vztmpl/x.tar.zst",
      net0: "bridge=vmbr0,colour=red",
    });
    expect(r.status).toBe(400);
    expect(r.body?.errors?.net0).toBe(
      "invalid format - invalid key in comma-separated list property: colour\n",
    );
  });

  test("query parameters merge with (and override) the body; a conflicting path value is 400", async () => {
    const r = await api.request("GET", "/cluster/nextid", { vmid: 4242 });
    expect(r.body?.data).toBe(4242);
    const dup = await api.request("POST", "/nodes/pve1/lxc/100/status/start", { node: "pve2" });
    expect(dup.status).toBe(400);
    expect(dup.body?.errors?.node).toBe(
      "duplicate parameter (already defined in URI) with conflicting values!",
    );
  });
});

describe("authentication", () => {
  test("no credentials: 401 'No ticket' with an empty body, after the configured delay", async () => {
    const t0 = performance.now();
    const r = await fetch(`${sim.apiUrl}/api2/json/nodes`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    expect(r.status).toBe(401);
    expect(r.statusText).toBe("No ticket");
    expect(await r.text()).toBe("");
    expect(r.headers.get("content-type")).toBeNull();
  });

  test("a wrong token secret is 401 'Authentication failed!' with an empty body", async () => {
    const bad = new Api(sim, {
      Authorization: `PVEAPIToken=${sim.tokenId}=00000000-0000-0000-0000-000000000000`,
    });
    const r = await bad.request("GET", "/nodes");
    expect(r.status).toBe(401);
    expect(r.statusText).toBe("Authentication failed!");
    expect(r.text).toBe("");
  });

  test("ticket login, cookie auth, and CSRF required on writes", async () => {
    const anon = new Api(sim, {});
    const bad = await anon.request("POST", "/access/ticket", { username: "root@pam", password: "wrong" });
    expect(bad.status).toBe(401);
    expect(bad.text).toBe("");

    const login = await anon.request<{ ticket: string; CSRFPreventionToken: string; username: string }>(
      "POST",
      "/access/ticket",
      { username: "root", realm: "pam", password: sim.password },
    );
    expect(login.status).toBe(200);
    const { ticket, CSRFPreventionToken: csrf } = login.body!.data;
    expect(ticket).toMatch(/^PVE:root@pam:[0-9A-F]{8}::\S+$/);
    expect(csrf).toMatch(/^[0-9A-F]{8}:\S+$/);

    const cookie = { Cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}` };
    const withTicket = new Api(sim, cookie);
    expect((await withTicket.request("GET", "/nodes")).status).toBe(200);

    const noCsrf = await withTicket.request("POST", "/nodes/pve1/aplinfo", {
      storage: "local",
      template: "nope",
    });
    expect(noCsrf.status).toBe(401);
    expect(noCsrf.statusText).toBe("Permission denied - invalid csrf token");
    expect(noCsrf.text).toBe("");

    const withCsrf = new Api(sim, { ...cookie, CSRFPreventionToken: csrf });
    const r = await withCsrf.request("POST", "/nodes/pve1/aplinfo", { storage: "local", template: "nope" });
    expect(r.status).toBe(400);
    expect(r.body?.errors).toEqual({ template: "no such template" });

    // Renewal: the ticket itself is accepted as password.
    const renewed = await anon.request("POST", "/access/ticket", { username: "root@pam", password: ticket });
    expect(renewed.status).toBe(200);
  });

  test("tickets expire after 2 hours", async () => {
    const anon = new Api(sim, {});
    const login = await anon.request<{ ticket: string }>("POST", "/access/ticket", {
      username: "root@pam",
      password: sim.password,
    });
    const cookie = { Cookie: `PVEAuthCookie=${login.body!.data.ticket}` };
    expect((await new Api(sim, cookie).request("GET", "/version")).status).toBe(200);
    await api.simPost("/_sim/clock", { advance_seconds: 7201 });
    const r = await new Api(sim, cookie).request("GET", "/version");
    expect(r.status).toBe(401);
    expect(r.statusText).toBe("Authentication failed!");
    // The token is unaffected by time.
    expect((await api.request("GET", "/version")).status).toBe(200);
  });

  test("/_sim routes need the simulator's credentials", async () => {
    const r = await fetch(`${sim.apiUrl}/_sim/state`);
    expect(r.status).toBe(401);
  });
});

describe("cluster and nodes", () => {
  test("/nodes lists every node online with cpu and memory", async () => {
    const nodes =
      await api.get<
        { node: string; status: string; maxcpu: number; maxmem: number; mem: number; cpu: number }[]
      >("/nodes");
    expect(nodes.map((n) => n.node)).toEqual(["pve1", "pve2", "pve3"]);
    for (const n of nodes) {
      expect(n.status).toBe("online");
      expect(n.maxcpu).toBeGreaterThan(0);
      expect(n.mem).toBeLessThan(n.maxmem);
      expect(n.cpu).toBeGreaterThanOrEqual(0);
    }
  });

  test("/cluster/status reports each node's address, which is where its SSH server listens", async () => {
    const status =
      await api.get<{ type: string; name: string; ip?: string; online?: number }[]>("/cluster/status");
    expect(status[0]).toMatchObject({ type: "cluster", nodes: 3, quorate: 1 });
    const nodes = status.filter((s) => s.type === "node");
    expect(nodes.map((n) => [n.name, n.ip])).toEqual([
      ["pve1", "127.0.0.11"],
      ["pve2", "127.0.0.12"],
      ["pve3", "127.0.0.13"],
    ]);
    expect(sim.nodeAddress("pve2")).toBe("127.0.0.12");
    expect(sim.sshHost).toBe("127.0.0.11");
    const net = await api.get<{ iface: string; address?: string }[]>("/nodes/pve2/network", {
      type: "bridge",
    });
    expect(net).toEqual([expect.objectContaining({ iface: "vmbr0", address: "127.0.0.12" })]);
  });

  test("/nodes/{node}/status has memory, cpuinfo and pveversion", async () => {
    const s = await api.get<{
      memory: { total: number };
      cpuinfo: { cpus: number };
      pveversion: string;
      loadavg: string[];
    }>("/nodes/pve1/status");
    expect(s.memory.total).toBe(32 * 1024 ** 3);
    expect(s.cpuinfo.cpus).toBe(8);
    expect(s.pveversion).toStartWith("pve-manager/9.2.11/");
    expect(typeof s.loadavg[0]).toBe("string");
  });

  test("/nextid gives the lowest free id; a taken id is 400 saying VM", async () => {
    expect(await api.get<number>("/cluster/nextid")).toBe(100);
    const upid = await api.post<string>("/nodes/pve1/aplinfo", {
      storage: "local",
      template: "alpine-3.22-default_20250617_amd64.tar.xz",
    });
    await api.waitTask(upid);
    const create = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 100,
      ostemplate: "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz",
      rootfs: "local-lvm:1",
    });
    // The vmid is registered synchronously, before the create task ends.
    expect(await api.get<number>("/cluster/nextid")).toBe(101);
    const taken = await api.request("GET", "/cluster/nextid", { vmid: 100 });
    expect(taken.status).toBe(400);
    expect(taken.body?.errors).toEqual({ vmid: "VM 100 already exists" });
    await api.waitTask(create);
  });

  test("/cluster/resources lists nodes, storages and guests; guest status lags (RRD cache)", async () => {
    const all =
      await api.get<{ type: string; id: string; status?: string; ip?: string }[]>("/cluster/resources");
    expect(all.filter((r) => r.type === "node")).toHaveLength(3);
    expect(all.filter((r) => r.type === "storage")).toHaveLength(6);
    const vms = await api.get<{ id: string; status: string; node: string }[]>("/cluster/resources", {
      type: "vm",
    });
    expect(vms).toEqual([expect.objectContaining({ id: "lxc/100", node: "pve1" })]);
    // After a refresh period (10 s / speed) the cache knows the CT.
    await api.until(async () => {
      const v = await api.get<{ status: string; name?: string }[]>("/cluster/resources", { type: "vm" });
      return v[0]?.status === "stopped" && v[0].name === "CT100";
    });
    const bad = await api.request("GET", "/cluster/resources", { type: "pool" });
    expect(bad.status).toBe(400);
  });
});
