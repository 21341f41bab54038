/**
 * Hosts that exist without anyone calling the API: the bootstrap host from PROXMOX_* variables, and in demo
 * mode the built-in simulated cluster (started in-process and re-registered with fresh credentials on every
 * start, since its ports and secrets change).
 */
import { count, eq } from "drizzle-orm";
import type { Config } from "../core/config.ts";
import type { Actor } from "../core/identity.ts";
import { log } from "../core/log.ts";
import { runtime } from "../core/runtime/index.ts";
import type { Db } from "../db/connect.ts";
import { proxmoxHosts } from "../db/schema.ts";
import type { CreateHostInput } from "../features/hosts/hosts.schemas.ts";
import type { RunningSimulator } from "../simulator/index.ts";
import type { Services } from "./container.ts";

/** The demo host's name: within the host-name rule (hosts.schemas.ts), so the Hosts page can edit it. */
const DEMO_HOST_NAME = "Simulated demo cluster";
const OLD_DEMO_HOST_NAME = "Simulated cluster (demo)";

/** How often the demo cluster's simulated apps and Caddy processes follow the containers. */
const DEMO_LISTENER_SYNC_MS = 250;

/** Start-up work, as the audit trail names it (from the machine itself). */
const BOOTSTRAP: Actor = { user: null, ip: "local", claimed: { id: null, username: "system" } };

/**
 * Demo mode, decided before the services are built: the simulator is forced on, or (auto) no real host is
 * configured — none in PROXMOX_URL and none stored.
 */
export async function wantsDemoMode(config: Config, db: Db): Promise<boolean> {
  if (config.PROXIMITY_SIMULATOR === "on") return true;
  if (config.PROXIMITY_SIMULATOR === "off" || config.PROXMOX_URL) return false;
  const [real] = await db
    .select({ n: count() })
    .from(proxmoxHosts)
    .where(eq(proxmoxHosts.isSimulator, false));
  return (real?.n ?? 0) === 0;
}

/**
 * Starts the built-in simulated cluster of demo mode. Loaded only then: a server with a real host never
 * evaluates the simulator.
 */
export async function startDemoCluster(): Promise<RunningSimulator> {
  const { startSimulator, seedUnmanagedContainers } = await import("../simulator/index.ts");
  // Listeners follow containers every 250 ms instead of 25/50 ms: forty wake-ups a second fewer while idle,
  // and an app's page answers a quarter of a second after its container runs at worst.
  const sim = await startSimulator({ nodes: 3, speed: 1, listenerSyncMs: DEMO_LISTENER_SYNC_MS });
  // Containers made outside Proximity (two as the community helper scripts make them), for Hosts →
  // Unmanaged containers. In the background: creating them takes the simulator's half a minute.
  void seedUnmanagedContainers(sim).then(
    () =>
      log.info(
        "Demo cluster: 3 containers made outside Proximity are ready to adopt (Hosts → Unmanaged containers)",
      ),
    (err: unknown) =>
      log.warn(`Demo cluster: the containers made outside Proximity could not be created: ${String(err)}`),
  );
  return sim;
}

/** Registers the PROXMOX_* host when it is not stored yet, and the demo cluster when one is running. */
export async function bootstrapHosts(
  config: Config,
  services: Services,
  simulator: RunningSimulator | undefined,
): Promise<void> {
  const hosts = await services.hosts.list();
  if (config.PROXMOX_URL && !hosts.some((h) => h.apiUrl === config.PROXMOX_URL)) {
    const input: CreateHostInput = {
      name: "default",
      api_url: config.PROXMOX_URL,
      verify_tls: config.PROXMOX_VERIFY_TLS,
      ...(config.PROXMOX_FINGERPRINT ? { fingerprint: config.PROXMOX_FINGERPRINT } : {}),
      ...(config.PROXMOX_TOKEN_ID
        ? { token_id: config.PROXMOX_TOKEN_ID, token_secret: config.PROXMOX_TOKEN_SECRET ?? "" }
        : { username: config.PROXMOX_USERNAME ?? "root@pam", password: config.PROXMOX_PASSWORD ?? "" }),
      ssh: {
        ...(config.PROXMOX_SSH_HOST ? { host: config.PROXMOX_SSH_HOST } : {}),
        port: config.PROXMOX_SSH_PORT,
        username: config.PROXMOX_SSH_USERNAME,
        ...(config.PROXMOX_SSH_PASSWORD ? { password: config.PROXMOX_SSH_PASSWORD } : {}),
        ...(config.PROXMOX_SSH_PRIVATE_KEY_FILE
          ? { private_key: await runtime.readTextFile(config.PROXMOX_SSH_PRIVATE_KEY_FILE) }
          : {}),
      },
      is_default: true,
    };
    await services.hosts.create(input, BOOTSTRAP);
    log.info(`Registered the Proxmox host from PROXMOX_URL (${new URL(config.PROXMOX_URL).host})`);
  }
  if (!simulator) return;
  const sim = simulator;
  const real = (await services.hosts.list()).filter((h) => !h.isSimulator);
  const input: CreateHostInput = {
    name: DEMO_HOST_NAME,
    api_url: sim.apiUrl,
    token_id: sim.tokenId,
    token_secret: sim.tokenSecret,
    verify_tls: true,
    ssh: { host: sim.sshHost, port: sim.sshPort, username: sim.sshUsername, password: sim.sshPassword },
    is_default: real.length === 0,
  };
  const existing = (await services.hosts.list()).find((h) => h.isSimulator);
  if (existing) {
    const { name: _name, ...rest } = input;
    // The name an admin gave it is kept; the old default (parentheses the host-name rule refuses) is not.
    await services.hosts.update(
      existing.id,
      existing.name === OLD_DEMO_HOST_NAME ? { ...rest, name: DEMO_HOST_NAME } : rest,
      BOOTSTRAP,
    );
  } else {
    await services.hosts.create(input, BOOTSTRAP, { isSimulator: true });
  }
  log.warn(
    "DEMO MODE: no Proxmox host is configured, so Proximity runs against its built-in simulated cluster " +
      `(3 nodes, PVE API at ${sim.apiUrl}). Nothing here touches a real server. Set PROXMOX_URL (or add a ` +
      "host with POST /api/v1/hosts) and PROXIMITY_SIMULATOR=off for real use.",
  );
}
