/**
 * What lives inside a simulated container: a tiny filesystem (with modes), installed packages, the
 * Docker daemon's state, compose projects, and the log of every command received over `pct exec`
 * (so the main app's tests can assert exactly what a container was sent).
 */
export interface SimFile {
  data: Uint8Array;
  mode: number;
  /** `uid:gid` once `chown` set it (root's otherwise). */
  owner?: string;
}

export type ServiceState = "created" | "running" | "exited";

export interface ComposeService {
  name: string;
  image: string;
  state: ServiceState;
  pulled: boolean;
  ports: string[];
  /** The service's `environment` (interpolated) and `volumes` (short syntax): the real Caddy reads them. */
  environment: Record<string, string>;
  volumes: string[];
  /** Whether the service declares its own health check, and how often `ps` has looked since it started. */
  healthcheck?: boolean;
  healthChecks?: number;
}

export interface ComposeProject {
  name: string;
  file: string;
  services: Map<string, ComposeService>;
}

export interface CommandRecord {
  /** The argv run inside the container (after `pct exec <vmid> --`). */
  argv: string[];
  /** The whole command line the node's shell received. */
  command: string;
  hasStdin: boolean;
  /** Stdin as UTF-8 text, recorded for `tee` (the one command that consumes data). */
  stdin?: string;
  exitCode: number | null;
  at: string;
}

export interface GuestState {
  /** What the template was: "debian-13", "debian-12", "alpine-3.22", … ("unknown" if not recognised). */
  distro: string;
  files: Map<string, SimFile>;
  dirs: Set<string>;
  packages: Set<string>;
  /** The Docker daemon (dockerd) is installed. */
  dockerInstalled: boolean;
  /** The `docker` CLI is installed (a separate package on trixie: docker-cli). */
  dockerCli: boolean;
  /** `docker version` of the installed engine, e.g. "26.1.5+dfsg1". */
  dockerVersion: string;
  /** Docker Inc.'s packages (docker-ce, containerd.io ≥ 1.7.28-2, runc ≥ 1.2.8) rather than the distro's. */
  dockerFromDockerRepo: boolean;
  /** Compose v2 as a CLI plugin (`docker compose`). */
  composePlugin: boolean;
  /** The Python Compose v1 tool (`docker-compose`, bookworm's package). */
  composeV1: boolean;
  /** Repositories apt knows after the last `apt-get update` (Docker's only if its list was in place). */
  aptDockerRepo: boolean;
  dockerEnabled: boolean;
  dockerRunning: boolean;
  /** Keyed by the compose file path. */
  projects: Map<string, ComposeProject>;
  commands: CommandRecord[];
  /** Created from an OCI image: the application runs as the container's init (entrypoint). */
  oci?: { repository: string; tag: string };
  /** An app a Proxmox VE community helper script installed (its service, and /usr/bin/update). */
  helperApp?: HelperApp;
}

/**
 * What a community helper script's install leaves behind, as the simulator plays it: a service on `port`
 * that answers while the container runs, a version, and `/usr/bin/update`, whose next run does `nextUpdate`:
 * `succeed` (a new version, the service back up), `fail` (exits 1 halfway, the service left stopped) or
 * `break` (exits 0 but the service no longer answers: what a health check must catch).
 */
export interface HelperApp {
  slug: string;
  port: number;
  version: number;
  serving: boolean;
  nextUpdate: "succeed" | "fail" | "break";
}

const BASE_DIRS = ["/", "/bin", "/dev", "/etc", "/home", "/opt", "/proc", "/root", "/run", "/srv", "/sys"];
const BASE_DIRS_MORE = ["/tmp", "/usr", "/usr/bin", "/usr/local", "/var", "/var/lib", "/var/log"];

export function newGuestState(hostname: string, distro = "unknown"): GuestState {
  const files = new Map<string, SimFile>();
  files.set("/etc/hostname", { data: new TextEncoder().encode(`${hostname}\n`), mode: 0o644 });
  return {
    distro,
    files,
    dirs: new Set([...BASE_DIRS, ...BASE_DIRS_MORE, "/etc/apt", "/etc/apt/sources.list.d"]),
    packages: new Set(),
    dockerInstalled: false,
    dockerCli: false,
    dockerVersion: "",
    dockerFromDockerRepo: false,
    composePlugin: false,
    composeV1: false,
    aptDockerRepo: false,
    dockerEnabled: false,
    dockerRunning: false,
    projects: new Map(),
    commands: [],
  };
}

/** Deep copy, for clone and for snapshots/backups (state is restored from the copy). */
export function copyGuestState(g: GuestState): GuestState {
  const projects = new Map<string, ComposeProject>();
  for (const [k, p] of g.projects) {
    const services = new Map<string, ComposeService>();
    for (const [n, s] of p.services) services.set(n, { ...s, ports: [...s.ports] });
    projects.set(k, { ...p, services });
  }
  const files = new Map<string, SimFile>();
  for (const [k, f] of g.files)
    files.set(k, { data: f.data.slice(), mode: f.mode, ...(f.owner ? { owner: f.owner } : {}) });
  return {
    distro: g.distro,
    files,
    dirs: new Set(g.dirs),
    packages: new Set(g.packages),
    dockerInstalled: g.dockerInstalled,
    dockerCli: g.dockerCli,
    dockerVersion: g.dockerVersion,
    dockerFromDockerRepo: g.dockerFromDockerRepo,
    composePlugin: g.composePlugin,
    composeV1: g.composeV1,
    aptDockerRepo: g.aptDockerRepo,
    dockerEnabled: g.dockerEnabled,
    dockerRunning: false,
    projects,
    commands: [],
    ...(g.oci ? { oci: { ...g.oci } } : {}),
    ...(g.helperApp ? { helperApp: { ...g.helperApp } } : {}),
  };
}
