/**
 * The health of an app without a web interface (catalog `web: false`): its compose services run and pass their
 * image's own health check, and its first TCP port accepts a connection; the watcher asks the port.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { servicesProblem } from "../../../src/features/apps/provision.ts";
import { probe } from "../../../src/features/apps/watch.ts";
import type { CatalogEntry } from "../../../src/features/catalog/catalog.schemas.ts";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";

function daemon(ports: { name: string; container: number; protocol: "tcp" | "udp" }[]): CatalogEntry {
  const published = ports.map(
    (p) => `      - "${p.container}:${p.container}${p.protocol === "udp" ? "/udp" : ""}"`,
  );
  const text = [
    "id: daemon",
    "name: Daemon",
    "version: 1.0.0",
    "description: A daemon.",
    "category: networking",
    "icon: https://example.com/icon.svg",
    "website: https://example.com",
    "os_template: debian-13",
    "min: { cores: 1, memory_mb: 256, disk_gb: 2 }",
    "web: false",
    `ports: ${JSON.stringify(ports)}`,
    "compose: |",
    "  services:",
    "    daemon:",
    "      image: example/daemon:1.0.0",
    ...(published.length ? ["      ports:", ...published.map((l) => `  ${l}`)] : []),
    "pin: { verified: 2026-12-07, source: https://example.com/releases }",
    "update_policy: any",
    "upgrade: Read the notes.",
  ].join("\n");
  const r = parseCatalogFile(text, "daemon");
  if (!r.ok) throw new Error(r.issues.join("; "));
  return r.entry;
}

describe("services of an app without a web interface", () => {
  test("up when every service runs and none fails or is still starting its own health check", () => {
    expect(
      servicesProblem(
        ["app", "db"],
        [
          { Service: "app", State: "running", Health: "" },
          { Service: "db", State: "running", Health: "healthy" },
        ],
      ),
    ).toBeNull();
  });

  test("a stopped, missing, starting or unhealthy service is named", () => {
    expect(
      servicesProblem(
        ["app", "db", "cache", "worker"],
        [
          { Service: "app", State: "exited", Health: "" },
          { Service: "db", State: "running", Health: "starting" },
          { Service: "cache", State: "running", Health: "unhealthy" },
        ],
      ),
    ).toBe(
      "services not ready: app (exited), db (health check starting), cache (unhealthy), worker (not running)",
    );
  });
});

describe("the watcher's probe of an app without a web interface", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  test("its first TCP port accepting a connection is healthy", async () => {
    const entry = daemon([
      { name: "dns", container: 53, protocol: "udp" },
      { name: "api", container: port, protocol: "tcp" },
    ]);
    expect(await probe("127.0.0.1", entry, 2_000)).toBeNull();
  });

  test("a port nothing listens on is the problem, named", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const problem = await probe(
      "127.0.0.1",
      daemon([{ name: "api", container: free, protocol: "tcp" }]),
      2_000,
    );
    expect(problem).toContain(`127.0.0.1:${free}`);
  });

  test("without a TCP port there is nothing to ask from outside: no problem reported", async () => {
    expect(await probe("127.0.0.1", daemon([]), 2_000)).toBeNull();
  });
});
