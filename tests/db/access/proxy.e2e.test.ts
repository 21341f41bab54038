/**
 * HTTPS names end to end on the simulated cluster: an administrator sets a domain, Proximity deploys its
 * proxy (a real Caddy in the simulator, driven through its admin API over `pct exec`), an app is exposed,
 * and `curl --resolve <name>:443:<proxy address> --cacert <the CA Proximity serves>` reaches the app through
 * it. Vaultwarden's DOMAIN follows the exposure and comes back when it ends.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { createUser, errorOf, type Session } from "../../helpers/harness.ts";
import { makeContainer } from "../../helpers/helper-scripts.ts";
import { deploy, type SimWorld, settled, simFault, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(120_000);
const run = promisify(execFile);
const DOMAIN = "home.example.test";

let w: SimWorld;
let dir: string;
let user: Session;
beforeAll(async () => {
  w = await startWorld({ nodes: 2, speed: 2000 });
  w.t.services.access.start(100);
  user = await createUser(w.t, w.admin, "alice");
  dir = mkdtempSync(join(tmpdir(), "access-e2e-"));
}, 300_000);
afterAll(async () => {
  await w.t.services.access.stop();
  await w.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
  w.t.request(path, { token: w.admin.token, ...init });

interface Access {
  status: string;
  reason: string | null;
  proxy: { app_id: string; address: string | null } | null;
  dns: { name: string; value: string | null }[];
}

async function accessWhen(pred: (a: Access) => boolean, timeoutMs = 60_000): Promise<Access> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const a = (await (await api("/api/v1/access")).json()) as Access;
    if (pred(a)) return a;
    if (Date.now() > end) throw new Error(`access still ${JSON.stringify(a)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function envOf(vmid: number): string {
  const state = w.sim.state() as unknown as {
    containers: { vmid: number; files: Record<string, { content: string }> }[];
  };
  return state.containers.find((c) => c.vmid === vmid)?.files["/opt/proximity/.env"]?.content ?? "";
}

async function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run("curl", ["-sS", "--max-time", "10", ...args]);
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: x.stdout ?? "", err: x.stderr ?? "" };
  }
}

describe("HTTPS names through the managed proxy", () => {
  let proxyIp = "";
  let vault: { id: string; vmid: number };
  let caFile = "";

  test("before a domain is set: off, no CA, exposing is refused with the fix", async () => {
    const a = (await (await api("/api/v1/access")).json()) as Access;
    expect(a.status).toBe("off");
    expect((await w.t.request("/api/v1/access/ca.pem")).status).toBe(404);
    const d = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault" });
    expect(d.status).toBe(202);
    const app = await settled(w, d.app.id, 60_000);
    expect(app?.status).toBe("running");
    vault = { id: app!.id, vmid: app!.vmid! };
    const res = await api(`/api/v1/apps/${vault.id}/exposure`, { method: "POST", json: { enabled: true } });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain("Settings → Access");
  });

  test("bad input changes nothing: a domain that is not a DNS name, a user who is not an admin", async () => {
    const bad = await api("/api/v1/access", { method: "PUT", json: { domain: "not a domain" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details?.[0]?.field).toBe("domain");
    const single = await api("/api/v1/access", { method: "PUT", json: { domain: "localhost" } });
    expect(single.status).toBe(422);
    const notAdmin = await w.t.request("/api/v1/access", {
      method: "PUT",
      token: user.token,
      json: { domain: DOMAIN },
    });
    expect(notAdmin.status).toBe(403);
    expect(((await (await api("/api/v1/access")).json()) as Access).status).toBe("off");
  });

  test("setting a domain deploys the proxy as a system app and it becomes ready", async () => {
    const res = await api("/api/v1/access", { method: "PUT", json: { domain: DOMAIN } });
    expect(res.status).toBe(200);
    const first = (await res.json()) as Access;
    expect(first.status).toBe("deploying");
    expect(first.proxy?.app_id).toBeString();
    const proxy = await settled(w, first.proxy!.app_id, 90_000);
    expect(proxy?.status).toBe("running");
    expect(proxy?.systemRole).toBe("proxy");
    const ready = await accessWhen((a) => a.status === "ready");
    proxyIp = ready.proxy!.address!;
    expect(ready.dns).toEqual([
      expect.objectContaining({ type: "A", name: `*.${DOMAIN}`, value: proxyIp }),
    ] as never);
    // The proxy is Proximity's: the catalog neither lists nor installs it.
    const listed = (await (await api("/api/v1/catalog?q=proxy")).json()) as { items: { id: string }[] };
    expect(listed.items.map((e) => e.id)).not.toContain("proximity-proxy");
    const refused = await deploy(w, { catalog_id: "proximity-proxy", hostname: "my-proxy" });
    expect(refused.status).toBe(422);
  });

  test("the CA root is served as PEM to anyone", async () => {
    const res = await w.t.request("/api/v1/access/ca.pem");
    expect(res.status).toBe(200);
    const pem = await res.text();
    expect(pem).toStartWith("-----BEGIN CERTIFICATE-----");
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, pem);
  });

  test("exposing Vaultwarden: DOMAIN becomes its HTTPS URL and curl reaches it through the proxy", async () => {
    const res = await api(`/api/v1/apps/${vault.id}/exposure`, { method: "POST", json: { enabled: true } });
    expect(res.status).toBe(200);
    const { app } = (await res.json()) as { app: { https_url: string } };
    expect(app.https_url).toBe(`https://vault.${DOMAIN}`);
    expect((await settled(w, vault.id))?.status).toBe("running");
    expect(envOf(vault.vmid)).toContain(`DOMAIN='https://vault.${DOMAIN}'`);

    const name = `vault.${DOMAIN}`;
    let got = { code: 1, out: "", err: "" };
    for (let i = 0; i < 100 && !got.out.includes("ok from vaultwarden"); i++) {
      got = await curl(["--resolve", `${name}:443:${proxyIp}`, "--cacert", caFile, `https://${name}/alive`]);
      if (!got.out.includes("ok from")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(got.err).toBe("");
    expect(got.out).toBe("ok from vaultwarden\n");

    // Plain http redirects to https, keeping the path.
    const http = await curl([
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{redirect_url}",
      "--resolve",
      `${name}:80:${proxyIp}`,
      `http://${name}/x?y=1`,
    ]);
    expect(http.out).toBe(`308 https://${name}/x?y=1`);
    // Without the CA the name's certificate is not trusted (it is the proxy's own CA, not a public one).
    const untrusted = await curl(["--resolve", `${name}:443:${proxyIp}`, `https://${name}/`]);
    expect(untrusted.code).toBe(60);
  });

  test("an adopted helper-script container is exposed on its own port", async () => {
    await makeContainer(w, {
      vmid: 700,
      node: "pve1",
      script: { slug: "uptimekuma", app: "Uptime Kuma", port: 3001 },
    });
    const adopted = await api("/api/v1/apps/adopt", {
      method: "POST",
      json: { host_id: w.hostId, node: "pve1", vmid: 700 },
    });
    expect(adopted.status).toBe(201);
    const { app } = (await adopted.json()) as { app: { id: string } };
    const res = await api(`/api/v1/apps/${app.id}/exposure`, { method: "POST", json: { enabled: true } });
    expect(res.status).toBe(200);
    const name = `uptimekuma.${DOMAIN}`;
    let got = { code: 1, out: "", err: "" };
    for (let i = 0; i < 100 && !got.out.includes("ok from uptimekuma"); i++) {
      got = await curl(["--resolve", `${name}:443:${proxyIp}`, "--cacert", caFile, `https://${name}/`]);
      if (!got.out.includes("ok from")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(got.out).toBe("ok from uptimekuma\n");
    const off = await api(`/api/v1/apps/${app.id}/exposure`, { method: "POST", json: { enabled: false } });
    expect(off.status).toBe(200);
  });

  test("another user cannot expose an app that is not theirs", async () => {
    const res = await w.t.request(`/api/v1/apps/${vault.id}/exposure`, {
      method: "POST",
      token: user.token,
      json: { enabled: false },
    });
    expect(res.status).toBe(404);
  });

  test("a large upload and a websocket pass through the proxy", async () => {
    const name = `vault.${DOMAIN}`;
    // 64 MiB, streamed by curl; the app reads it to the end and answers its size.
    const big = join(dir, "upload.bin");
    writeFileSync(big, Buffer.alloc(64 * 1024 * 1024, 7));
    const upload = await curl([
      "--resolve",
      `${name}:443:${proxyIp}`,
      "--cacert",
      caFile,
      "--max-time",
      "60",
      "-H",
      "content-type: application/octet-stream",
      "--data-binary",
      `@${big}`,
      `https://${name}/upload`,
    ]);
    expect(upload.err).toBe("");
    expect(upload.out).toBe(`received ${64 * 1024 * 1024} bytes by vaultwarden\n`);

    // A websocket: the upgrade goes through, and a message comes back.
    const echoed = await new Promise<{ head: string; message: string }>((resolve, reject) => {
      const socket = connect({ host: proxyIp, port: 443, servername: name, ca: readFileSync(caFile) }, () => {
        socket.write(
          `GET /notifications/hub HTTP/1.1\r\nHost: ${name}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let data = Buffer.alloc(0);
      let sent = false;
      socket.on("data", (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        const end = data.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = data.subarray(0, end).toString();
        const rest = data.subarray(end + 4);
        if (!sent) {
          sent = true;
          // "hello", masked as a client must.
          const mask = Buffer.from([1, 2, 3, 4]);
          const payload = Buffer.from("hello").map((b, i) => b ^ mask[i % 4]!);
          socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | 5]), mask, payload]));
        }
        if (rest.length >= 7) {
          socket.end();
          resolve({ head, message: rest.subarray(2, 2 + rest[1]!).toString() });
        }
      });
      socket.on("error", reject);
      setTimeout(() => reject(new Error("no websocket answer")), 10_000);
    });
    expect(echoed.head).toStartWith("HTTP/1.1 101");
    expect(echoed.head).toMatch(/^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=$/im);
    expect(echoed.message).toBe("hello");
  });

  test("unexposing reverts DOMAIN and the name stops answering", async () => {
    const res = await api(`/api/v1/apps/${vault.id}/exposure`, { method: "POST", json: { enabled: false } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { app: { https_url: string | null } }).app.https_url).toBeNull();
    expect((await settled(w, vault.id))?.status).toBe("running");
    expect(envOf(vault.vmid)).not.toContain(`https://vault.${DOMAIN}`);
    const name = `vault.${DOMAIN}`;
    let got = await curl(["--resolve", `${name}:443:${proxyIp}`, "--cacert", caFile, `https://${name}/`]);
    for (let i = 0; i < 100 && got.code === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await curl(["--resolve", `${name}:443:${proxyIp}`, "--cacert", caFile, `https://${name}/`]);
    }
    expect(got.code).not.toBe(0);
  });

  test("a stopped proxy is an error with the fix; started again it serves its last configuration", async () => {
    const exposed = await api(`/api/v1/apps/${vault.id}/exposure`, {
      method: "POST",
      json: { enabled: true },
    });
    expect(exposed.status).toBe(200);
    expect((await settled(w, vault.id))?.status).toBe("running");
    const proxyId = ((await (await api("/api/v1/access")).json()) as Access).proxy!.app_id;
    const name = `vault.${DOMAIN}`;
    const reach = () =>
      curl(["--resolve", `${name}:443:${proxyIp}`, "--cacert", caFile, `https://${name}/alive`]);
    await accessWhen((a) => a.status === "ready");
    for (let i = 0; i < 100 && !(await reach()).out.includes("ok from"); i++)
      await new Promise((r) => setTimeout(r, 100));

    expect(
      (await api(`/api/v1/apps/${proxyId}/actions`, { method: "POST", json: { action: "stop" } })).status,
    ).toBe(202);
    expect((await settled(w, proxyId))?.status).toBe("stopped");
    const stopped = await accessWhen((a) => a.status === "error");
    expect(stopped.reason).toContain("start it");
    expect((await settled(w, vault.id))?.status).toBe("running");

    expect(
      (await api(`/api/v1/apps/${proxyId}/actions`, { method: "POST", json: { action: "start" } })).status,
    ).toBe(202);
    expect((await settled(w, proxyId))?.status).toBe("running");
    await accessWhen((a) => a.status === "ready");
    let got = await reach();
    for (let i = 0; i < 100 && !got.out.includes("ok from"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await reach();
    }
    expect(got.out).toBe("ok from vaultwarden\n");
  });

  test("a proxy container deleted behind Proximity's back is an error naming the fix; the apps are untouched", async () => {
    const a = (await (await api("/api/v1/access")).json()) as Access & { proxy: { vmid: number } };
    await simFault(w.sim, { path: "*", action: "lose_container", vmid: a.proxy.vmid });
    // Any change makes Proximity load the proxy again: here, the app's exposure ends.
    const res = await api(`/api/v1/apps/${vault.id}/exposure`, { method: "POST", json: { enabled: false } });
    expect(res.status).toBe(200);
    const broken = await accessWhen((x) => x.status === "error");
    expect(broken.reason).toContain("no longer exists");
    expect(broken.reason).toContain("save the access settings again");
    expect((await settled(w, vault.id))?.status).toBe("running");
  });
});
