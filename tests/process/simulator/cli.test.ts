import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { connect } from "node:tls";
import { startSimulator } from "../../../src/simulator/index.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

describe("bun run sim", () => {
  test("prints the connection JSON as its first line and stops on SIGTERM", async () => {
    const proc = Bun.spawn(["bun", "src/simulator/main.ts", "--nodes", "2", "--speed", "100"], {
      cwd: `${import.meta.dir}/../../..`,
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const info = JSON.parse(text.split("\n")[0]!);
    expect(Object.keys(info).sort()).toEqual(
      [
        "api_url",
        "fingerprint",
        "password",
        "ssh_host",
        "ssh_password",
        "ssh_port",
        "ssh_username",
        "token_id",
        "token_secret",
        "username",
      ].sort(),
    );
    expect(info.token_id).toBe("root@pam!proximity");
    expect(info.token_secret).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(info.ssh_host).toBe("127.0.0.11");
    const nodes = await fetch(`${info.api_url}/api2/json/nodes`, {
      headers: { Authorization: `PVEAPIToken=${info.token_id}=${info.token_secret}` },
    });
    expect(((await nodes.json()) as { data: unknown[] }).data).toHaveLength(2);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });
});

describe("tls", () => {
  test("serves HTTPS with a self-signed certificate whose SHA-256 fingerprint is reported", async () => {
    const sim = await startSimulator({ tls: true, speed: 100, nodes: 1 });
    try {
      expect(sim.apiUrl).toStartWith("https://127.0.0.1:");
      expect(sim.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const port = Number(new URL(sim.apiUrl).port);
      const served = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.end();
        });
        s.on("error", reject);
      });
      expect(served).toBe(sim.fingerprint!);
      const r = await fetch(`${sim.apiUrl}/api2/json/nodes`, {
        headers: { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` },
        tls: { rejectUnauthorized: false },
      });
      const body = (await r.json()) as { data: { ssl_fingerprint: string }[] };
      expect(body.data[0]!.ssl_fingerprint).toBe(sim.fingerprint!);
    } finally {
      await sim.stop();
    }
  });
});
