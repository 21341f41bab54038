/**
 * A real Caddy for every running compose service whose image is `caddy:*`, in a running container with a
 * 127.x lease: `/usr/bin/caddy` (Debian's package) runs as a child process, as the image's `caddy run`
 * would inside the container. The simulated containers share the machine's network, so the simulator plays
 * the container's network and mount namespaces:
 *
 * - what the process listens on is bound to the container's own address (`:443` → `<lease ip>:443`);
 * - its data and config directories (the image's /data and /config volumes) and its admin socket live in a
 *   directory of its own under the system's temporary directory, kept across container restarts so that
 *   `caddy run --resume` comes back with the last configuration loaded;
 * - the admin socket the service names with `CADDY_ADMIN` (`unix//run/caddy/admin.sock`) is reached from the
 *   container through the service's bind mount (`./run:/run/caddy` → `/opt/proximity/run/admin.sock`):
 *   `curl --unix-socket` inside the container talks to the real socket (`socketFor`);
 * - a configuration POSTed to `/load` has its listen addresses and admin address rewritten the same way
 *   (`rewriteLoad`), so the configuration a real container would take works here unchanged.
 *
 * Until a configuration is loaded the process serves what the image's default Caddyfile serves: 200 on :80.
 * The simulator's plain app listeners (app-http.ts) leave these services alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import type { Cluster, Container } from "./cluster.ts";
import type { ComposeProject, ComposeService } from "./guest.ts";

export const CADDY_BINARY = process.env.PROXIMITY_SIM_CADDY ?? "/usr/bin/caddy";

/** Is this compose service one the simulator runs a real Caddy for? */
export function isCaddyService(svc: ComposeService): boolean {
  return /^(?:docker\.io\/)?(?:library\/)?caddy:/.test(svc.image);
}

interface Running {
  vmid: number;
  ip: string;
  dir: string;
  /** The admin socket's path inside the container (the LXC's view, through the bind mount), if any. */
  guestSocket: string | undefined;
  child: ChildProcess;
  exited: boolean;
}

export class CaddyProcesses {
  private readonly root = mkdtempSync(join(tmpdir(), "proximity-sim-caddy-"));
  private readonly running = new Map<string, Running>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Why the last start of a service failed (no binary, a port in use): for the simulator's log. */
  readonly failures: string[] = [];

  constructor(private readonly cluster: Cluster) {}

  start(intervalMs = 50): void {
    this.timer = setInterval(() => this.sync(), intervalMs);
    this.sync();
  }

  private desired(): Map<
    string,
    { ct: Container; ip: string; project: ComposeProject; svc: ComposeService }
  > {
    const want = new Map<
      string,
      { ct: Container; ip: string; project: ComposeProject; svc: ComposeService }
    >();
    for (const ct of this.cluster.containers.values()) {
      if (ct.status !== "running" || !ct.guest.dockerRunning) continue;
      const ip = [...ct.leases.values()][0]?.split("/")[0];
      if (!ip?.startsWith("127.")) continue;
      for (const project of ct.guest.projects.values()) {
        for (const svc of project.services.values()) {
          if (svc.state === "running" && isCaddyService(svc))
            want.set(`${ct.vmid}-${project.name}-${svc.name}`, { ct, ip, project, svc });
        }
      }
    }
    return want;
  }

  sync(): void {
    const want = this.desired();
    for (const [key, r] of this.running) {
      const w = want.get(key);
      if (!w || w.ip !== r.ip || r.exited) {
        r.child.kill("SIGTERM");
        this.running.delete(key);
      }
    }
    for (const [key, w] of want) {
      if (this.running.has(key)) continue;
      this.launch(key, w.ct.vmid, w.ip, w.project, w.svc);
    }
  }

  private launch(key: string, vmid: number, ip: string, project: ComposeProject, svc: ComposeService): void {
    const dir = join(this.root, key);
    mkdirSync(join(dir, "data"), { recursive: true });
    mkdirSync(join(dir, "config"), { recursive: true });
    const initial = join(dir, "initial.json");
    // The image's default Caddyfile: a welcome page on :80 (here on the container's address).
    writeFileSync(
      initial,
      JSON.stringify({
        admin: { listen: `unix/${join(dir, "admin.sock")}` },
        apps: {
          http: {
            servers: {
              welcome: {
                listen: [`${ip}:80`],
                routes: [
                  { handle: [{ handler: "static_response", status_code: 200, body: "Caddy works!\n" }] },
                ],
              },
            },
          },
        },
      }),
    );
    if (!existsSync(CADDY_BINARY)) {
      this.failures.push(`${key}: ${CADDY_BINARY} is not installed (Debian package caddy)`);
      return;
    }
    const child = spawn(CADDY_BINARY, ["run", "--resume", "--config", initial], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dir,
        XDG_DATA_HOME: join(dir, "data"),
        XDG_CONFIG_HOME: join(dir, "config"),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const r: Running = { vmid, ip, dir, guestSocket: guestSocketOf(project, svc), child, exited: false };
    let tail = "";
    child.stderr?.on("data", (d: Buffer) => {
      tail = (tail + d.toString()).slice(-2000);
    });
    child.on("exit", (code) => {
      r.exited = true;
      if (code) this.failures.push(`${key}: caddy exited ${code}: ${tail.split("\n").slice(-3).join(" ")}`);
    });
    child.on("error", (e) => {
      r.exited = true;
      this.failures.push(`${key}: ${e.message}`);
    });
    this.running.set(key, r);
  }

  /** The real socket behind `path` as the container sees it, when a Caddy of that container listens there. */
  socketFor(ct: Container, path: string): string | undefined {
    for (const r of this.running.values()) {
      if (r.vmid === ct.vmid && !r.exited && r.guestSocket === posix.normalize(path))
        return join(r.dir, "admin.sock");
    }
    return undefined;
  }

  /** The container's address of the Caddy behind a real socket (for rewriting what is loaded). */
  addressOf(socket: string): { ip: string; socket: string } | undefined {
    for (const r of this.running.values())
      if (join(r.dir, "admin.sock") === socket) return { ip: r.ip, socket };
    return undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const r of this.running.values()) r.child.kill("SIGTERM");
    this.running.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * `CADDY_ADMIN=unix//run/caddy/admin.sock` with the volume `./run:/run/caddy` in the project at
 * /opt/proximity → `/opt/proximity/run/admin.sock`: where the socket shows in the container's filesystem.
 */
function guestSocketOf(project: ComposeProject, svc: ComposeService): string | undefined {
  const admin = svc.environment.CADDY_ADMIN;
  if (!admin?.startsWith("unix/")) return undefined;
  const inService = posix.normalize(admin.slice("unix/".length));
  const projectDir = posix.dirname(project.file);
  for (const volume of svc.volumes) {
    const [source, target] = volume.split(":");
    if (!source || !target || !source.startsWith(".")) continue;
    const mount = posix.normalize(target);
    if (inService === mount || inService.startsWith(`${mount}/`)) {
      return posix.join(projectDir, source, inService.slice(mount.length));
    }
  }
  return undefined;
}

/**
 * A configuration POSTed to a simulated container's Caddy: its admin listener stays the real socket, and
 * every listen address without a host (`:443`) is bound to the container's address, as its own network
 * namespace would. Anything that is not JSON passes unchanged (Caddy answers it with its own error).
 */
export function rewriteLoad(body: string, target: { ip: string; socket: string }): string {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return body;
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return body;
  const config = doc as {
    admin?: Record<string, unknown>;
    apps?: { http?: { servers?: Record<string, unknown> } };
  };
  config.admin = { ...(config.admin ?? {}), listen: `unix/${target.socket}` };
  for (const server of Object.values(config.apps?.http?.servers ?? {})) {
    const s = server as { listen?: unknown };
    if (Array.isArray(s.listen))
      s.listen = s.listen.map((l) => (typeof l === "string" && /^:\d+$/.test(l) ? `${target.ip}${l}` : l));
  }
  return JSON.stringify(config);
}
