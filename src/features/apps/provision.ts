/**
 * What runs inside a container, as fixed argv lists. Nothing here is ever built from user input: user data
 * (the compose document, .env values) travels only as stdin of `tee`.
 */
import type { Distro } from "../../proxmox/index.ts";

/** Where each app's compose project lives inside its container. */
export const APP_DIR = "/opt/proximity";
export const COMPOSE_FILE = `${APP_DIR}/compose.yaml`;
export const ENV_FILE = `${APP_DIR}/.env`;

export type Argv = readonly string[];

export interface InstallCommand {
  name: string;
  argv: Argv;
  /** Fixed file content sent on stdin (apt sources); never user data. */
  stdin?: string;
}

/** Docker Inc.'s apt repository for Debian 12, whose own archive has only Compose v1 (no plugin). */
const DOCKER_GPG = "/etc/apt/keyrings/docker.asc";
const DOCKER_SOURCES =
  "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n";

/**
 * Installing and starting Docker with Compose v2 (`docker compose`), per distribution:
 * - Alpine: `docker` + `docker-cli-compose`;
 * - Debian 13: the archive's `docker.io` + `docker-cli` (only a Recommends) + `docker-compose` (v2 plugin);
 * - Debian 12: bookworm's `docker-compose` is the Python v1 tool, so Docker's repository is added
 *   (PVE's amd64-only nodes: arch is fixed) and docker-ce with the compose plugin installed.
 */
export function dockerInstallCommands(distro: Distro): InstallCommand[] {
  if (distro === "alpine") {
    return [
      { name: "apk update", argv: ["apk", "update"] },
      { name: "install docker", argv: ["apk", "add", "docker", "docker-cli-compose"] },
      { name: "enable docker", argv: ["rc-update", "add", "docker", "default"] },
      { name: "start docker", argv: ["service", "docker", "start"] },
    ];
  }
  if (distro === "debian-13") {
    return [
      { name: "apt-get update", argv: ["apt-get", "update"] },
      {
        name: "install docker",
        argv: ["apt-get", "install", "-y", "docker.io", "docker-cli", "docker-compose"],
      },
      { name: "start docker", argv: ["systemctl", "enable", "--now", "docker"] },
    ];
  }
  return [
    { name: "apt-get update", argv: ["apt-get", "update"] },
    { name: "install curl", argv: ["apt-get", "install", "-y", "ca-certificates", "curl"] },
    { name: "keyring dir", argv: ["mkdir", "-p", "/etc/apt/keyrings"] },
    {
      name: "docker key",
      argv: ["curl", "-fsSL", "https://download.docker.com/linux/debian/gpg", "-o", DOCKER_GPG],
    },
    {
      name: "docker repository",
      argv: ["tee", "/etc/apt/sources.list.d/docker.list"],
      stdin: DOCKER_SOURCES,
    },
    { name: "apt-get update (docker)", argv: ["apt-get", "update"] },
    {
      name: "install docker",
      argv: [
        "apt-get",
        "install",
        "-y",
        "docker-ce",
        "docker-ce-cli",
        "containerd.io",
        "docker-compose-plugin",
      ],
    },
    { name: "start docker", argv: ["systemctl", "enable", "--now", "docker"] },
  ];
}

/** Checked after the install: without it every later `docker compose …` fails obscurely. */
export const composeVersion: Argv = ["docker", "compose", "version"];

/**
 * `docker compose up` inside an LXC fails this way when the node's lxc-pve predates 6.0.5-2 and the
 * container's runc carries the CVE-2025-52881 fix (runc ≥ 1.2.8, Docker's containerd.io ≥ 1.7.28-2).
 */
export function isRuncSysctlFailure(text: string): boolean {
  return /ip_unprivileged_port_start.*permission denied/s.test(text);
}

export const compose = {
  pull: ["docker", "compose", "-f", COMPOSE_FILE, "pull"] as Argv,
  /** Creates the containers and volumes without starting them (the image's content is copied into new volumes). */
  create: ["docker", "compose", "-f", COMPOSE_FILE, "create"] as Argv,
  up: ["docker", "compose", "-f", COMPOSE_FILE, "up", "-d", "--remove-orphans"] as Argv,
  ps: ["docker", "compose", "-f", COMPOSE_FILE, "ps", "--format", "json"] as Argv,
  down: ["docker", "compose", "-f", COMPOSE_FILE, "down"] as Argv,
  logs: (tail: number) => ["docker", "compose", "-f", COMPOSE_FILE, "logs", "--tail", String(tail)] as Argv,
};

export const files = {
  mkdir: ["mkdir", "-p", APP_DIR] as Argv,
  writeCompose: ["tee", COMPOSE_FILE] as Argv,
  writeEnv: ["tee", ENV_FILE] as Argv,
  lockEnv: ["chmod", "600", ENV_FILE] as Argv,
};

/** Where Docker keeps a named volume's content, inside the app's container. */
export function volumeMountpoint(dockerVolume: string): Argv {
  return ["docker", "volume", "inspect", "--format", "{{ .Mountpoint }}", dockerVolume];
}

export interface ComposeService {
  Service?: string;
  Name?: string;
  State?: string;
  Health?: string;
}

/** `docker compose ps --format json` prints one JSON object per line (v2.21+) or one array (older). */
export function parseComposePs(stdout: string): ComposeService[] {
  const text = stdout.trim();
  if (!text) return [];
  if (text.startsWith("[")) return JSON.parse(text) as ComposeService[];
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ComposeService);
}

/**
 * What keeps a compose project from counting as up, or null when every expected service runs and none is
 * failing or still starting its image's own health check (`Health`: "" without one, "starting", "healthy",
 * "unhealthy"). A service missing from `ps` (which lists running containers) is not running.
 */
export function servicesProblem(expected: readonly string[], ps: readonly ComposeService[]): string | null {
  const byName = new Map(ps.map((s) => [s.Service ?? s.Name ?? "", s]));
  const problems: string[] = [];
  for (const name of expected) {
    const s = byName.get(name);
    if (s?.State !== "running") problems.push(`${name} (${s?.State ?? "not running"})`);
    else if (s.Health === "starting") problems.push(`${name} (health check starting)`);
    else if (s.Health === "unhealthy") problems.push(`${name} (unhealthy)`);
  }
  return problems.length === 0 ? null : `services not ready: ${problems.join(", ")}`;
}
