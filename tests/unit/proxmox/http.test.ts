/**
 * Transport behaviour over real sockets against a recording server whose answers each test controls:
 * auth headers, ticket renewal, CSRF, error mapping, retries, timeouts and the onCall hook.
 */
import { afterEach, describe, expect, test } from "bun:test";
import net from "node:net";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import { TICKET_RENEW_AFTER_MS } from "../../../src/proxmox/http.ts";
import type { ProxmoxCallInfo, ProxmoxClientOptions } from "../../../src/proxmox/types.ts";
import { caught } from "./helpers/caught.ts";
import { FAKE_UPID, json, type Recorded, type Responder, startRecorder } from "./helpers/recorder.ts";

const SECRET = "0b6f1c2e-3d4a-4e5f-8a9b-0c1d2e3f4a5b";
const PASSWORD = "hunter2-correct-horse";
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function setup(respond?: Responder, options: Partial<ProxmoxClientOptions> = {}) {
  const rec = await startRecorder(respond);
  stops.push(rec.stop);
  const calls: ProxmoxCallInfo[] = [];
  const client = new ProxmoxClient({
    apiUrl: rec.url,
    auth: { kind: "token", tokenId: "root@pam!proximity", tokenSecret: SECRET },
    retryBaseMs: 1,
    onCall: (info) => calls.push(info),
    ...options,
  });
  return { rec, client, calls };
}

const ticketAuth = { kind: "ticket", username: "root@pam", password: PASSWORD } as const;
const isLogin = (r: Recorded) => r.path === "/access/ticket";

describe("token auth", () => {
  test("sends PVEAPIToken, no cookie, no CSRF; unwraps {data}", async () => {
    const { rec, client } = await setup((r) =>
      r.path === "/version" ? json({ version: "8.4.1", release: "8.4", repoid: "abc" }) : undefined,
    );
    expect(await client.version()).toEqual({ version: "8.4.1", release: "8.4", repoid: "abc" });
    await client.startLxc("pve1", 100);
    for (const r of rec.requests) {
      expect(r.headers.get("authorization")).toBe(`PVEAPIToken=root@pam!proximity=${SECRET}`);
      expect(r.headers.get("cookie")).toBeNull();
      expect(r.headers.get("csrfpreventiontoken")).toBeNull();
    }
  });

  test("accepts an apiUrl with /api2/json and trailing slashes; refuses credentials in it", async () => {
    const { rec } = await setup();
    const c = new ProxmoxClient({
      apiUrl: `${rec.url}/api2/json/`,
      auth: { kind: "token", tokenId: "a@pve!b", tokenSecret: "s" },
    });
    await c.listNodes();
    expect(rec.requests.at(-1)?.path).toBe("/nodes");
    expect(() => new ProxmoxClient({ apiUrl: "https://root:pw@pve:8006", auth: ticketAuth })).toThrow(
      /credentials/,
    );
  });
});

describe("ticket auth", () => {
  test("logs in once, sends the cookie, and CSRFPreventionToken on writes only", async () => {
    const { rec, client } = await setup(undefined, { auth: ticketAuth });
    await client.listNodes();
    await client.startLxc("pve1", 100);
    await client.listNodes();
    const logins = rec.requests.filter(isLogin);
    expect(logins).toHaveLength(1);
    expect(new URLSearchParams(logins[0]!.body).get("password")).toBe(PASSWORD);
    expect(logins[0]!.headers.get("cookie")).toBeNull();
    const [get, post] = rec.requests.filter((r) => !isLogin(r));
    expect(get!.headers.get("cookie")).toBe("PVEAuthCookie=PVE:root@pam:66A1B2C3::c2lnbmF0dXJl");
    expect(get!.headers.get("csrfpreventiontoken")).toBeNull();
    expect(post!.headers.get("csrfpreventiontoken")).toBe("66A1B2C3:Y3NyZg");
    expect(post!.headers.get("authorization")).toBeNull();
  });

  test("renews after 1 h 45 by posting the current ticket as the password", async () => {
    let now = 1_000_000;
    let issued = 0;
    const { rec, client } = await setup(
      (r) =>
        isLogin(r)
          ? json({
              username: "root@pam",
              ticket: `PVE:root@pam:T${++issued}::sig`,
              CSRFPreventionToken: `C${issued}`,
            })
          : undefined,
      { auth: ticketAuth, now: () => now },
    );
    await client.listNodes();
    now += TICKET_RENEW_AFTER_MS - 1_000;
    await client.listNodes();
    expect(rec.requests.filter(isLogin)).toHaveLength(1);
    now += 2_000;
    await client.stopLxc("pve1", 100);
    const logins = rec.requests.filter(isLogin);
    expect(logins).toHaveLength(2);
    expect(new URLSearchParams(logins[1]!.body).get("password")).toBe("PVE:root@pam:T1::sig");
    const write = rec.requests.at(-1)!;
    expect(write.headers.get("cookie")).toBe("PVEAuthCookie=PVE:root@pam:T2::sig");
    expect(write.headers.get("csrfpreventiontoken")).toBe("C2");
  });

  test("a 401 (ticket revoked) triggers one fresh login and a replay; a second 401 is an auth error", async () => {
    let rejectNext = 1;
    const { rec, client, calls } = await setup(
      (r) => {
        if (!isLogin(r) && rejectNext > 0) {
          rejectNext--;
          return new Response(null, { status: 401 });
        }
        return undefined;
      },
      { auth: ticketAuth },
    );
    expect(await client.listLxc("pve1")).toEqual([]);
    expect(rec.requests.filter(isLogin)).toHaveLength(2);
    expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      "POST /access/ticket 200",
      "GET /nodes/{node}/lxc 401",
      "POST /access/ticket 200",
      "GET /nodes/{node}/lxc 200",
    ]);
    rejectNext = 2;
    const err = await caught(client.listLxc("pve1"));
    expect(err.kind).toBe("auth");
    expect(err.pveStatus).toBe(401);
  });

  test("a refused login is an auth error without retries", async () => {
    const { rec, client, calls } = await setup(
      (r) => (isLogin(r) ? new Response(null, { status: 401 }) : undefined),
      { auth: ticketAuth },
    );
    const err = await caught(client.listNodes());
    expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(["POST /access/ticket 401"]);
    expect(err.kind).toBe("auth");
    expect(err.code).toBe("PROXMOX_ERROR");
    expect(err.path).toBe("/access/ticket");
    expect(rec.requests).toHaveLength(1);
    expect(JSON.stringify(err.toContext()) + err.message).not.toContain(PASSWORD);
  });
});

describe("errors", () => {
  test("400 parameter verification → field errors and details", async () => {
    const { client } = await setup(() =>
      json(null, {
        status: 400,
        extra: {
          errors: { hostname: "invalid format - value does not look like a valid DNS name\n" },
          message: "Parameter verification failed.\n",
        },
      }),
    );
    const err = await caught(client.updateLxcConfig("pve1", 100, { hostname: "my-app" }));
    expect(err).toMatchObject({ kind: "http", pveStatus: 400, node: "pve1", method: "PUT" });
    expect(err.path).toBe("/nodes/{node}/lxc/{vmid}/config");
    expect(err.pveMessage).toBe("Parameter verification failed.");
    expect(err.errors).toEqual({ hostname: "invalid format - value does not look like a valid DNS name\n" });
    expect(err.details).toEqual([
      { field: "hostname", message: "invalid format - value does not look like a valid DNS name" },
    ]);
    expect(err.message).toContain("hostname: invalid format");
    expect(err.status).toBe(502);
  });

  test("500 domain error: the message comes from the body (PVE ≥ 8.3)", async () => {
    const { client, calls } = await setup(() =>
      json(null, { status: 500, extra: { message: "CT 101 already exists on node 'pve1'\n" } }),
    );
    const err = await caught(client.createLxc("pve1", { vmid: 101, ostemplate: "local:vztmpl/x.tar.zst" }));
    expect(err.pveMessage).toBe("CT 101 already exists on node 'pve1'");
    expect(err.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(calls).toHaveLength(1); // a failed create is never repeated
    expect(calls[0]).toMatchObject({
      method: "POST",
      path: "/nodes/{node}/lxc",
      status: 500,
      errorKind: "http",
    });
  });

  test("500 from an older PVE: the message comes from the reason phrase", async () => {
    // Bun.serve cannot set a custom reason phrase, so this server speaks raw HTTP/1.1.
    const server = net.createServer((s) =>
      s.once("data", () =>
        s.end(
          'HTTP/1.1 500 CT is locked (backup)\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{"data":null}',
        ),
      ),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    stops.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = new ProxmoxClient({
      apiUrl: `http://127.0.0.1:${port}`,
      auth: { kind: "token", tokenId: "a@pve!b", tokenSecret: "s" },
      hostLabel: "homelab",
    });
    const err = await caught(client.shutdownLxc("pve1", 100));
    expect(err.pveMessage).toBe("CT is locked (backup)");
    expect(err.host).toBe("homelab");
    expect(err.retryable).toBe(true);
  });

  test("a non-UPID answer where a task was expected is an error", async () => {
    const { client } = await setup(() => json("nope"));
    const err = await caught(client.startLxc("pve1", 100));
    expect(err.message).toContain("expected a task UPID");
  });

  test("vzdump answering OK (nothing on this node) yields null", async () => {
    const { client } = await setup(() => json("OK"));
    expect(await client.vzdump("pve1", { vmid: 100 })).toBeNull();
  });

  test("a stopped CT's interfaces are null", async () => {
    const { client } = await setup(() => json(null));
    expect(await client.lxcInterfaces("pve1", 100)).toBeNull();
  });
});

describe("retries", () => {
  test("a GET is retried after a 500, with the attempt number reported", async () => {
    let fail = 1;
    const { client, calls } = await setup((r) =>
      r.method === "GET" && fail-- > 0
        ? json(null, { status: 500, extra: { message: "temporary failure\n" } })
        : undefined,
    );
    expect(await client.listNodes()).toEqual([]);
    expect(calls.map((c) => [c.status, c.attempt])).toEqual([
      [500, 1],
      [200, 2],
    ]);
  });

  test("a GET answering 'does not exist' is not retried", async () => {
    const { calls, client } = await setup(() =>
      json(null, {
        status: 500,
        extra: { message: "Configuration file 'nodes/pve1/lxc/999.conf' does not exist\n" },
      }),
    );
    await caught(client.lxcStatus("pve1", 999));
    expect(calls).toHaveLength(1);
  });

  test("a non-idempotent POST is never retried on a 500", async () => {
    const { rec, client } = await setup(() =>
      json(null, { status: 500, extra: { message: "CT is locked (create)\n" } }),
    );
    await caught(client.startLxc("pve1", 100));
    expect(rec.requests).toHaveLength(1);
  });

  test("a write marked idempotent is retried on 'locked' and 'got timeout', not on other errors", async () => {
    const answers = [
      "CT is locked (create)",
      "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout",
    ];
    const { rec, client } = await setup(() => {
      const message = answers.shift();
      return message ? json(null, { status: 500, extra: { message: `${message}\n` } }) : json(null);
    });
    await client.updateLxcConfig("pve1", 100, { memory: 1024 }, { idempotent: true });
    expect(rec.requests).toHaveLength(3);
    answers.push("CT 100 already running");
    rec.requests.length = 0;
    await caught(client.startLxc("pve1", 100, {}, { idempotent: true }));
    expect(rec.requests).toHaveLength(1);
  });

  test("a write that could not connect is retried (it was never sent), then reported unreachable", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const calls: ProxmoxCallInfo[] = [];
    const client = new ProxmoxClient({
      apiUrl: `http://127.0.0.1:${port}`,
      auth: { kind: "token", tokenId: "a@pve!b", tokenSecret: SECRET },
      retryBaseMs: 1,
      maxAttempts: 3,
      onCall: (c) => calls.push(c),
    });
    const err = await caught(client.startLxc("pve1", 100));
    expect(err.kind).toBe("unreachable");
    expect(err.code).toBe("PROXMOX_UNAVAILABLE");
    expect(err.status).toBe(503);
    expect(err.notSent).toBe(true);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(calls.every((c) => c.status === 0 && c.errorKind === "unreachable")).toBe(true);
  });

  test("DNS failure is unreachable", async () => {
    const client = new ProxmoxClient({
      apiUrl: "https://pve.invalid:8006",
      auth: { kind: "token", tokenId: "a@pve!b", tokenSecret: "s" },
      maxAttempts: 1,
    });
    const err = await caught(client.version());
    expect(err.kind).toBe("unreachable");
    expect(err.code).toBe("PROXMOX_UNAVAILABLE");
  });
});

describe("timeouts and the onCall hook", () => {
  test("every call has a timeout; a slow answer is kind timeout (503)", async () => {
    const { client } = await setup(
      async () => {
        await Bun.sleep(300);
        return json([]);
      },
      { timeoutMs: 50, maxAttempts: 1 },
    );
    const err = await caught(client.listNodes());
    expect(err.kind).toBe("timeout");
    expect(err.status).toBe(503);
  });

  test("a caller's abort signal is honoured and not mapped to a Proxmox error", async () => {
    const { client } = await setup(async () => {
      await Bun.sleep(300);
      return json([]);
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("cancelled by job")), 20);
    await expect(client.listNodes({ signal: ac.signal })).rejects.toThrow("cancelled by job");
  });

  test("onCall gets template paths, statuses, durations and UPIDs, never secrets; a throwing observer is ignored", async () => {
    const seen: ProxmoxCallInfo[] = [];
    const { client } = await setup(undefined, {
      auth: ticketAuth,
      onCall: (info) => {
        seen.push(info);
        throw new Error("observer bug");
      },
    });
    const upid = await client.createLxc("pve1", {
      vmid: 100,
      ostemplate: "local:vztmpl/x.tar.zst",
      password: PASSWORD,
    });
    expect(upid).toBe(FAKE_UPID);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "POST /access/ticket",
      "POST /nodes/{node}/lxc",
    ]);
    expect(seen[1]).toMatchObject({ status: 200, upid: FAKE_UPID, node: "pve1", attempt: 1 });
    expect(seen[1]!.durationMs).toBeGreaterThanOrEqual(0);
    const text = JSON.stringify(seen);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("PVEAuthCookie");
    expect(text).not.toContain("c2lnbmF0dXJl");
  });
});
