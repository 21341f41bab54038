/**
 * What runs inside a container, as fixed argv lists. Nothing here is ever built from user input: user data
 * (the compose document, .env values) travels only as stdin of `tee`.
 */
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";

/** Where each app's compose project lives inside its container. */
export const APP_DIR = "/opt/proximity";
export const COMPOSE_FILE = `${APP_DIR}/compose.yaml`;
export const ENV_FILE = `${APP_DIR}/.env`;

export type Argv = readonly string[];

/** Installing and starting Docker with the compose plugin, per OS template. */
export function dockerInstallCommands(os: CatalogEntry["os_template"]): { name: string; argv: Argv }[] {
  if (os === "alpine-3.22") {
    return [
      { name: "apk update", argv: ["apk", "update"] },
      { name: "install docker", argv: ["apk", "add", "docker", "docker-cli-compose"] },
      { name: "enable docker", argv: ["rc-update", "add", "docker", "default"] },
      { name: "start docker", argv: ["service", "docker", "start"] },
    ];
  }
  return [
    { name: "apt-get update", argv: ["apt-get", "update"] },
    { name: "install docker", argv: ["apt-get", "install", "-y", "docker.io", "docker-compose"] },
    { name: "start docker", argv: ["systemctl", "enable", "--now", "docker"] },
  ];
}

export const compose = {
  pull: ["docker", "compose", "-f", COMPOSE_FILE, "pull"] as Argv,
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
