/**
 * What the managed proxy (docs/access.md) costs and how fast an exposure takes effect, on the simulated
 * cluster with the simulator's real Caddy, through a Proximity process over HTTP like any client:
 *
 * - **latency added**: the same request (`GET /alive` on Vaultwarden's stand-in) sent directly to the app
 *   (`http://<app ip>:80`) and through the proxy (`https://vault.<domain>`, TLS verified against the CA
 *   Proximity serves, SNI and Host set, the name resolved to the proxy by hand), alternating one by one over
 *   keep-alive connections, N of each; p50/p99 of both and of the difference;
 * - **expose → first 200**: from `POST /apps/{id}/exposure` to the first 200 over https (the proxy is
 *   reconfigured and Vaultwarden, whose DOMAIN follows the exposure, restarted by the reconfigure job),
 *   over several unexpose/expose rounds.
 *
 * Both sides share the machine (2 cores here): the proxy's Caddy, the simulator's app listener and this
 * script compete for CPU. Figures in docs/access.md.
 *
 *   bun bench/proxy.ts [--requests 2000] [--rounds 5] [--speed 50]
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startSimulator } from "../src/simulator/index.ts";
import { proximityOver } from "./lib/proximity-client.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    requests: { type: "string", default: "2000" },
    rounds: { type: "string", default: "5" },
    speed: { type: "string", default: "50" },
  },
});
const N = Number(values.requests);
const ROUNDS = Number(values.rounds);
const DOMAIN = "bench.example.test";
const NAME = `vault.${DOMAIN}`;

const loadBefore = loadavg()[0]!.toFixed(1);
const sim = await startSimulator({ nodes: 1, speed: Number(values.speed) });
const proximity = await proximityOver(sim, "proxy");
const api = proximity.api;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

type App = { id: string; status: string; ip: string | null; status_reason: string | null };
const running = (id: string) =>
  until(`app ${id} running`, async () => {
    const { app } = await api<{ app: App }>("GET", `/apps/${id}`);
    if (app.status === "error") throw new Error(`app failed: ${app.status_reason}`);
    return app.status === "running" ? app : undefined;
  });

/** One GET; resolves with the status and the milliseconds it took. */
function timed(send: (done: (status: number) => void, fail: (e: Error) => void) => void) {
  return new Promise<{ status: number; ms: number }>((resolve, reject) => {
    const t0 = performance.now();
    send((status) => resolve({ status, ms: performance.now() - t0 }), reject);
  });
}

try {
  const t0 = performance.now();
  await api("PUT", "/access", { domain: DOMAIN });
  const access = await until("the proxy ready", async () => {
    const a = await api<{ status: string; reason: string | null; proxy: { address: string | null } | null }>(
      "GET",
      "/access",
    );
    if (a.status === "error") throw new Error(`access: ${a.reason}`);
    return a.status === "ready" ? a : undefined;
  });
  const proxyReadyMs = performance.now() - t0;
  const proxyIp = access.proxy!.address!;
  const { app } = await api<{ app: App }>("POST", "/apps/deploy", {
    catalog_id: "vaultwarden",
    hostname: "vault",
  });
  const vault = await running(app.id);
  const ca = await (await fetch(`${proximity.url}/api/v1/access/ca.pem`)).text();

  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const viaProxy = () =>
    timed((done, fail) =>
      httpsRequest(
        {
          host: proxyIp,
          port: 443,
          path: "/alive",
          servername: NAME,
          headers: { host: NAME },
          agent: httpsAgent,
        },
        (res) => res.resume().on("end", () => done(res.statusCode ?? 0)),
      )
        .on("error", fail)
        .end(),
    );
  const direct = () =>
    timed((done, fail) =>
      httpRequest({ host: vault.ip!, port: 80, path: "/alive", agent: httpAgent }, (res) =>
        res.resume().on("end", () => done(res.statusCode ?? 0)),
      )
        .on("error", fail)
        .end(),
    );

  // Expose → first 200 over https, round after round (unexposing in between).
  const exposeMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    await api("POST", `/apps/${vault.id}/exposure`, { enabled: true });
    await until("the first 200 over https", async () => {
      const r = await viaProxy().catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    exposeMs.push(performance.now() - t);
    await running(vault.id);
    if (round < ROUNDS - 1) {
      await api("POST", `/apps/${vault.id}/exposure`, { enabled: false });
      await running(vault.id);
      // The proxy drops the name once reconfigured: wait for that before exposing again.
      await until("the name to stop answering", async () =>
        (await viaProxy().catch(() => undefined))?.status === 200 ? undefined : true,
      );
    }
  }

  // Warm both paths, then alternate.
  for (let i = 0; i < 100; i++) {
    await direct();
    await viaProxy();
  }
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < N; i++) {
    const a = await direct();
    const b = await viaProxy();
    if (a.status !== 200 || b.status !== 200) throw new Error(`status ${a.status} / ${b.status}`);
    d.push(a.ms);
    p.push(b.ms);
  }
  const q = (xs: number[], f: number) => {
    const s = [...xs].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.floor(f * s.length))]!;
  };
  const diff = p.map((v, i) => v - d[i]!);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(
    `proxy bench: ${N} requests each way, ${ROUNDS} expose rounds; load ${loadBefore} → ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `  PUT /access → ready (proxy deployed and loaded): ${(proxyReadyMs / 1000).toFixed(1)} s (simulator speed ${values.speed})`,
  );
  console.log(`  direct  http://<app>:80/alive          p50 ${fmt(q(d, 0.5))}  p99 ${fmt(q(d, 0.99))}`);
  console.log(`  proxied https://${NAME}/alive  p50 ${fmt(q(p, 0.5))}  p99 ${fmt(q(p, 0.99))}`);
  console.log(`  added by the proxy (paired)            p50 ${fmt(q(diff, 0.5))}  p99 ${fmt(q(diff, 0.99))}`);
  console.log(
    `  expose → first 200 over https: median ${fmt(q(exposeMs, 0.5))}, min ${fmt(Math.min(...exposeMs))}, max ${fmt(Math.max(...exposeMs))}`,
  );
  httpsAgent.destroy();
  httpAgent.destroy();
} finally {
  await proximity.stop();
  await sim.stop();
}
