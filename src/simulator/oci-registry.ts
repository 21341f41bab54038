/**
 * A small built-in OCI registry, so the OCI runtime can be tested offline: a few of the catalog's
 * single-service images with their tags and the parts of the image config that PVE maps into a
 * container (Entrypoint, Cmd, Env, User, WorkingDir, Volumes), plus what the simulated app does once
 * started (the port it listens on, which may come from an environment variable, and its health path).
 *
 * The image facts are modelled on the public images (their Dockerfiles), not copied from a registry:
 * sizes are the order of magnitude of the compressed image, which drives the pull time.
 */

export interface OciImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  user?: string;
  workingDir?: string;
  volumes: string[];
}

export interface OciImage {
  /** Fully qualified repository, e.g. "docker.io/vaultwarden/server". */
  repository: string;
  /** Tag → compressed size in bytes (what skopeo copies). */
  tags: Record<string, number>;
  config: OciImageConfig;
  /** The app: the TCP port it listens on, unless `portEnv` is set in its environment. */
  app: { name: string; port: number; portEnv?: string; healthPath: string };
}

const MIB = 1024 ** 2;
const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const OCI_IMAGES: readonly OciImage[] = [
  {
    repository: "docker.io/vaultwarden/server",
    tags: { "1.36.0": 96 * MIB, "1.37.1": 98 * MIB, "1.37.2": 98 * MIB, latest: 98 * MIB },
    config: {
      entrypoint: ["/start.sh"],
      cmd: [],
      env: [
        PATH,
        "ROCKET_PROFILE=release",
        "ROCKET_ADDRESS=0.0.0.0",
        "ROCKET_PORT=80",
        "SSL_CERT_DIR=/etc/ssl/certs",
      ],
      workingDir: "/",
      volumes: ["/data"],
    },
    app: { name: "vaultwarden", port: 80, portEnv: "ROCKET_PORT", healthPath: "/alive" },
  },
  {
    repository: "docker.io/louislam/uptime-kuma",
    tags: { "1.23.16": 160 * MIB, "2.1.0": 190 * MIB, "2.2.1": 192 * MIB, "2": 192 * MIB },
    config: {
      entrypoint: ["/usr/bin/dumb-init", "--"],
      cmd: ["node", "server/server.js"],
      env: [PATH, "NODE_VERSION=22.21.1", "UPTIME_KUMA_IS_CONTAINER=1"],
      workingDir: "/app",
      volumes: ["/app/data"],
    },
    app: { name: "uptime-kuma", port: 3001, portEnv: "UPTIME_KUMA_PORT", healthPath: "/api/entry-page" },
  },
  {
    repository: "docker.io/gotify/server",
    tags: { "2.9.0": 18 * MIB, "2.9.1": 18 * MIB },
    config: {
      entrypoint: ["./gotify-app"],
      cmd: [],
      env: [PATH, "GOTIFY_SERVER_PORT=80"],
      workingDir: "/app",
      volumes: ["/app/data"],
    },
    app: { name: "gotify", port: 80, portEnv: "GOTIFY_SERVER_PORT", healthPath: "/health" },
  },
  {
    repository: "docker.io/corentinth/it-tools",
    tags: { "2024.10.22-7ca5933": 24 * MIB, latest: 24 * MIB },
    config: {
      entrypoint: ["/docker-entrypoint.sh"],
      cmd: ["nginx", "-g", "daemon off;"],
      env: [PATH, "NGINX_VERSION=1.27.2"],
      user: "101:101",
      volumes: [],
    },
    app: { name: "it-tools", port: 80, healthPath: "/" },
  },
  {
    // A database without a web interface (a store's `web: false` entry): its port takes TCP connections.
    repository: "docker.io/library/redis",
    tags: { "7.4.2": 45 * MIB },
    config: {
      entrypoint: ["docker-entrypoint.sh"],
      cmd: ["redis-server"],
      env: [PATH, "REDIS_VERSION=7.4.2"],
      workingDir: "/data",
      volumes: ["/data"],
    },
    app: { name: "redis", port: 6379, healthPath: "/" },
  },
];

/**
 * A reference as skopeo resolves it: no registry host → docker.io, a single path component on docker.io
 * → library/<name>. `withTag` splits off the tag (the pull endpoint's references always carry one).
 */
export function resolveReference(reference: string, withTag: boolean): { repository: string; tag?: string } {
  let repo = reference;
  let tag: string | undefined;
  if (withTag) {
    const i = reference.lastIndexOf(":");
    repo = reference.slice(0, i);
    tag = reference.slice(i + 1);
  }
  const first = repo.split("/")[0]!;
  const hasHost = repo.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasHost) repo = `docker.io/${repo}`;
  if (repo.startsWith("docker.io/") && repo.split("/").length === 2)
    repo = repo.replace("docker.io/", "docker.io/library/");
  return tag === undefined ? { repository: repo } : { repository: repo, tag };
}

export function findImage(repository: string): OciImage | undefined {
  return OCI_IMAGES.find((i) => i.repository === repository);
}

/** The registry's answer for a repository that does not exist (Docker Hub hides which case it is). */
export function unknownRepository(repository: string): string {
  const [, ...path] = repository.split("/");
  return `reading manifest in ${repository}: requested access to the resource is denied (repository ${path.join("/")} not found or private)`;
}

/**
 * STO normalize_content_filename + ".tar": the last path component, anything outside
 * [A-Za-z0-9_.-] replaced by "_", and ".tar" always appended.
 */
export function ociArchiveName(filenameOrReference: string): string {
  const last = filenameOrReference.slice(filenameOrReference.lastIndexOf("/") + 1);
  return `${last.replace(/[^A-Za-z0-9_.-]/g, "_")}.tar`;
}

/** The program the container's init runs: the first word of Entrypoint + Cmd. */
export function imageProgram(config: OciImageConfig): string | undefined {
  return [...config.entrypoint, ...config.cmd][0];
}

/** Entrypoint + Cmd as one command line, the way the CT config holds it. */
export function entrypointLine(config: OciImageConfig): string {
  return [...config.entrypoint, ...config.cmd]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}
