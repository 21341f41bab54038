/**
 * The package archives a simulated container sees, per distribution, as they really are (checked with
 * apt/apk against the archives): bookworm's `docker-compose` is the Python v1 tool with no CLI plugin;
 * trixie splits the CLI into `docker-cli` (only a Recommends of docker.io) and ships Compose v2 as
 * `docker-compose`; Alpine has `docker-cli-compose`. Docker Inc.'s packages exist only once its apt
 * repository was added and `apt-get update` ran.
 */
export interface PackageEffect {
  daemon?: boolean;
  cli?: boolean;
  composePlugin?: boolean;
  composeV1?: boolean;
  /** The engine version this package brings. */
  version?: string;
  /** Only in Docker's own repository (download.docker.com). */
  dockerRepo?: boolean;
  /** Installed along unless --no-install-recommends. */
  recommends?: string[];
  /** Download size, for the install's duration. */
  mib: number;
}

const COMMON: Record<string, PackageEffect> = Object.fromEntries(
  [
    "curl",
    "wget",
    "ca-certificates",
    "gnupg",
    "git",
    "jq",
    "lsb-release",
    "openssl",
    "tzdata",
    "sudo",
    "nano",
    "apt-transport-https",
    "iptables",
  ].map((p) => [p, { mib: 2 }]),
);

const DOCKER_REPO: Record<string, PackageEffect> = {
  "docker-ce": { daemon: true, version: "29.1.3", dockerRepo: true, mib: 25 },
  "docker-ce-cli": { cli: true, dockerRepo: true, mib: 15 },
  "containerd.io": { dockerRepo: true, mib: 30 },
  "docker-compose-plugin": { composePlugin: true, dockerRepo: true, mib: 18 },
  "docker-buildx-plugin": { dockerRepo: true, mib: 20 },
};

export const ARCHIVES: Record<string, Record<string, PackageEffect>> = {
  bookworm: {
    ...COMMON,
    ...DOCKER_REPO,
    "docker.io": { daemon: true, cli: true, version: "20.10.24+dfsg1", mib: 38 },
    "docker-compose": { composeV1: true, mib: 1 },
  },
  trixie: {
    ...COMMON,
    ...DOCKER_REPO,
    "docker.io": { daemon: true, version: "26.1.5+dfsg1", recommends: ["docker-cli"], mib: 30 },
    "docker-cli": { cli: true, mib: 9 },
    "docker-compose": { composePlugin: true, mib: 12 },
    "docker-buildx": { mib: 14 },
  },
  noble: {
    ...COMMON,
    "docker.io": { daemon: true, cli: true, version: "27.5.1", mib: 32 },
    "docker-compose-v2": { composePlugin: true, mib: 12 },
    "docker-compose": { composeV1: true, mib: 1 },
  },
  alpine: Object.fromEntries(
    Object.entries({
      docker: { daemon: true, cli: true, version: "28.3.3", mib: 25 },
      "docker-cli": { cli: true, mib: 9 },
      "docker-cli-compose": { composePlugin: true, mib: 12 },
      "docker-compose": { composeV1: true, mib: 12 },
      "docker-openrc": { mib: 1 },
      containerd: { mib: 20 },
      bash: { mib: 1 },
      openrc: { mib: 1 },
      shadow: { mib: 1 },
      ...COMMON,
    }).filter(([k]) => !["lsb-release", "gnupg", "apt-transport-https"].includes(k)),
  ),
};

/** "debian-13" → "trixie"; Alpine releases share one archive model. */
export function archiveOf(distro: string): string {
  if (distro.startsWith("alpine")) return "alpine";
  if (distro === "debian-12") return "bookworm";
  if (distro.startsWith("ubuntu")) return "noble";
  return "trixie";
}

export const CODENAMES: Record<string, string> = { bookworm: "bookworm", trixie: "trixie", noble: "noble" };

export const DOCKER_GPG_URL = "https://download.docker.com/linux/debian/gpg";
