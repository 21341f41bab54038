/**
 * A model of `docker compose` (v2 CLI) inside a simulated container: it reads the compose file from
 * the container's filesystem, validates it like the real CLI would (YAML errors, missing
 * `services`, a service without image/build, unknown service names, unknown flags) and tracks each
 * service's state across pull / up -d / ps / logs / stop / start / restart / down.
 * Progress messages go to stderr, as the real CLI writes them there.
 */
import { createHash } from "node:crypto";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { ComposeProject, ComposeService, GuestState } from "./guest.ts";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ok = (stdout = "", stderr = ""): ExecResult => ({ code: 0, stdout, stderr });
const err = (stderr: string, code = 1): ExecResult => ({
  code,
  stdout: "",
  stderr: stderr.endsWith("\n") ? stderr : `${stderr}\n`,
});

const DAEMON_DOWN =
  "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

interface GlobalFlags {
  files: string[];
  envFiles: string[];
  project?: string;
  rest: string[];
}

function parseGlobal(args: string[]): GlobalFlags | ExecResult {
  const g: GlobalFlags = { files: [], envFiles: [], rest: [] };
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    const takeValue = (name: string): string | ExecResult => {
      const eq = a.indexOf("=");
      if (eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      return v === undefined ? err(`flag needs an argument: ${name}`) : v;
    };
    if (a === "-f" || a === "--file" || a.startsWith("--file=")) {
      const v = takeValue("--file");
      if (typeof v !== "string") return v;
      g.files.push(v);
    } else if (a === "--env-file" || a.startsWith("--env-file=")) {
      const v = takeValue("--env-file");
      if (typeof v !== "string") return v;
      g.envFiles.push(v);
    } else if (a === "-p" || a === "--project-name" || a.startsWith("--project-name=")) {
      const v = takeValue("--project-name");
      if (typeof v !== "string") return v;
      g.project = v;
    } else if (a.startsWith("-")) {
      return err(`unknown flag: ${a}`);
    } else {
      g.rest = args.slice(i);
      break;
    }
    i++;
  }
  return g;
}

/**
 * Where simulated images listen when they share the container's network (`network_mode: host`), by image
 * name without its tag. Any other image listens on the web port its project's `.env` names (`APP_PORT`, the
 * port the app was installed to serve), else nowhere until it publishes ports.
 */
const HOST_NETWORK_LISTEN: Record<string, number[]> = {
  "ghcr.io/home-assistant/home-assistant": [8123],
  "homeassistant/home-assistant": [8123],
  "ghcr.io/esphome/esphome": [6052],
};

function hostNetworkPorts(image: string, env: Map<string, string>): string[] {
  const name = image.replace(/@sha256:[a-f0-9]+$/, "").replace(/:[^/:]+$/, "");
  const webPort = /^\d{1,5}$/.test(env.get("APP_PORT") ?? "") ? [Number(env.get("APP_PORT"))] : [];
  return (HOST_NETWORK_LISTEN[name] ?? webPort).map((p) => `${p}:${p}`);
}

function readFile(guest: GuestState, path: string): string | undefined {
  const f = guest.files.get(path);
  return f ? new TextDecoder().decode(f.data) : undefined;
}

function parseEnv(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i <= 0) continue;
    let v = line.slice(i + 1);
    if (/^(['"]).*\1$/.test(v)) v = v.slice(1, -1);
    env.set(line.slice(0, i).trim(), v);
  }
  return env;
}

/** ${VAR}, ${VAR:-default} and $VAR from the env files; unset variables warn and become "". */
function interpolate(value: string, env: Map<string, string>, warnings: Set<string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a, def, b) => {
      if (m === "$$") return "$";
      const name = (a ?? b) as string;
      const v = env.get(name);
      if (v !== undefined && v !== "") return v;
      if (def !== undefined) return def;
      warnings.add(name);
      return "";
    },
  );
}

interface ServiceDefinition {
  image: string;
  ports: string[];
  environment: Record<string, string>;
  volumes: string[];
  /** The service declares a health check (one with `disable: true` does not count). */
  healthcheck: boolean;
}

/** `environment` as a map or a KEY=value list, interpolated. */
function environmentOf(
  value: unknown,
  env: Map<string, string>,
  warnings: Set<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const [k, ...v] = String(item).split("=");
      if (k) out[k] = interpolate(v.join("="), env, warnings);
    }
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(String(v ?? ""), env, warnings);
  }
  return out;
}

interface LoadedProject {
  name: string;
  file: string;
  services: Map<string, ServiceDefinition>;
  /** The named volumes the file declares (top-level `volumes`). */
  volumes: string[];
  warnings: string;
}

/** Where the simulated daemon keeps a named volume's content (Docker's default data root). */
export function volumeDataDir(dockerVolume: string): string {
  return `/var/lib/docker/volumes/${dockerVolume}/_data`;
}

/** Docker creates a project's named volumes (`<project>_<name>`) when its containers are created. */
function createVolumes(guest: GuestState, project: string, volumes: string[]): void {
  for (const v of volumes) {
    let cur = "";
    for (const seg of volumeDataDir(`${project}_${v}`).split("/").filter(Boolean)) {
      cur += `/${seg}`;
      guest.dirs.add(cur);
    }
  }
}

function projectNameFor(file: string): string {
  const dir = file.split("/").slice(0, -1).pop() || "root";
  return dir.toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

function load(guest: GuestState, g: GlobalFlags): LoadedProject | ExecResult {
  const file =
    g.files[0] ?? (guest.files.has("/root/compose.yaml") ? "/root/compose.yaml" : "/root/docker-compose.yml");
  const text = readFile(guest, file);
  if (text === undefined) {
    if (g.files.length === 0) return err("no configuration file provided: not found", 1);
    return err(`open ${file}: no such file or directory`);
  }
  const env = new Map<string, string>();
  // Without --env-file, compose reads the .env beside the compose file (the project directory), when there is one.
  const beside = `${file.slice(0, file.lastIndexOf("/") + 1)}.env`;
  const envFiles = g.envFiles.length > 0 ? g.envFiles : guest.files.has(beside) ? [beside] : [];
  for (const envFile of envFiles) {
    const t = readFile(guest, envFile);
    if (t === undefined) return err(`couldn't find env file: ${envFile}`);
    for (const [k, v] of parseEnv(t)) env.set(k, v);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line ?? 1;
      const reason = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      return err(`yaml: line ${line}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
    }
    return err(`yaml: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    return err(`validating ${file}: top-level object must be a mapping`);
  }
  const services = (doc as Record<string, unknown>).services;
  if (services === undefined) return err("no service selected");
  if (!services || typeof services !== "object" || Array.isArray(services)) {
    return err(`validating ${file}: services must be a mapping`);
  }
  const warnings = new Set<string>();
  const out = new Map<string, ServiceDefinition>();
  for (const [name, def] of Object.entries(services as Record<string, unknown>)) {
    const d = (def ?? {}) as Record<string, unknown>;
    if (typeof d !== "object" || Array.isArray(d))
      return err(`validating ${file}: services.${name} must be a mapping`);
    const image = typeof d.image === "string" ? interpolate(d.image, env, warnings) : undefined;
    if (!image && d.build === undefined) {
      return err(
        `service "${name}" has neither an image nor a build context specified: invalid compose project`,
      );
    }
    const ports = Array.isArray(d.ports) ? d.ports.map((p) => interpolate(String(p), env, warnings)) : [];
    // With host networking nothing is published: the simulated image listens on the container's own address.
    if (d.network_mode === "host" && image) ports.push(...hostNetworkPorts(image, env));
    const volumes = Array.isArray(d.volumes) ? d.volumes.filter((v) => typeof v === "string") : [];
    out.set(name, {
      image: image ?? `${projectNameFor(file)}-${name}`,
      ports,
      environment: environmentOf(d.environment, env, warnings),
      volumes: volumes.map((v) => interpolate(v, env, warnings)),
      healthcheck:
        typeof d.healthcheck === "object" &&
        d.healthcheck !== null &&
        (d.healthcheck as { disable?: unknown }).disable !== true,
    });
  }
  const warnText = [...warnings]
    .map(
      (w) =>
        `time="${new Date().toISOString()}" level=warning msg="The \\"${w}\\" variable is not set. Defaulting to a blank string."\n`,
    )
    .join("");
  const top = (doc as Record<string, unknown>).volumes;
  const volumes = top && typeof top === "object" && !Array.isArray(top) ? Object.keys(top) : [];
  const name =
    g.project ??
    (typeof (doc as Record<string, unknown>).name === "string"
      ? String((doc as Record<string, unknown>).name)
      : projectNameFor(file));
  return { name, file, services: out, volumes, warnings: warnText };
}

/** splitFlags for a subcommand that takes service names: each must exist, and none means every service. */
function serviceArgs(
  loaded: LoadedProject,
  args: string[],
  allowed: Record<string, boolean>,
): { flags: Map<string, string>; names: string[] } | ExecResult {
  const parsed = splitFlags(args, allowed);
  if ("code" in parsed) return parsed;
  for (const n of parsed.names) if (!loaded.services.has(n)) return err(`no such service: ${n}`);
  return { flags: parsed.flags, names: parsed.names.length > 0 ? parsed.names : [...loaded.services.keys()] };
}

function splitFlags(
  args: string[],
  allowed: Record<string, boolean>,
): { flags: Map<string, string>; names: string[] } | ExecResult {
  const flags = new Map<string, string>();
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-")) {
      names.push(a);
      continue;
    }
    const [flag, inline] = a.split(/=(.*)/s) as [string, string | undefined];
    if (!(flag in allowed)) return err(`unknown flag: ${flag}`);
    if (allowed[flag]) {
      const v = inline ?? args[++i];
      if (v === undefined) return err(`flag needs an argument: ${flag}`);
      flags.set(flag, v);
    } else flags.set(flag, "true");
  }
  return { flags, names };
}

function projectFor(guest: GuestState, loaded: LoadedProject): ComposeProject {
  let p = guest.projects.get(loaded.file);
  if (!p) {
    p = { name: loaded.name, file: loaded.file, services: new Map() };
    guest.projects.set(loaded.file, p);
  }
  return p;
}

const container = (p: { name: string }, s: string) => `${p.name}-${s}-1`;

export function dockerCompose(guest: GuestState, args: string[]): ExecResult {
  const g = parseGlobal(args);
  if ("code" in g) return g;
  const [sub, ...subArgs] = g.rest;
  if (!sub) return ok("Usage:  docker compose [OPTIONS] COMMAND\n");
  if (
    !["pull", "create", "up", "ps", "logs", "down", "stop", "start", "restart", "config", "version"].includes(
      sub,
    )
  ) {
    return err(`unknown docker command: "compose ${sub}"`);
  }
  if (sub === "version") return ok("Docker Compose version v2.36.2\n");
  const loaded = load(guest, g);
  if ("code" in loaded) return loaded;
  const w = loaded.warnings;
  if (sub === "config") {
    const parsed = splitFlags(subArgs, { "-q": false, "--quiet": false, "--services": false });
    if ("code" in parsed) return parsed;
    if (parsed.flags.has("--services")) return ok(`${[...loaded.services.keys()].join("\n")}\n`, w);
    return ok(
      parsed.flags.size > 0
        ? ""
        : `name: ${loaded.name}\nservices:\n${[...loaded.services].map(([n, s]) => `  ${n}:\n    image: ${s.image}\n`).join("")}`,
      w,
    );
  }
  if (!guest.dockerRunning) return err(DAEMON_DOWN);
  const project = projectFor(guest, loaded);

  switch (sub) {
    case "pull": {
      const parsed = serviceArgs(loaded, subArgs, {
        "-q": false,
        "--quiet": false,
        "--ignore-pull-failures": false,
        "--policy": true,
      });
      if ("code" in parsed) return parsed;
      const { names } = parsed;
      let out = w;
      for (const n of names) {
        const svc = ensureService(project, n, loaded);
        svc.pulled = true;
        out += ` ${n} Pulling \n ${n} Pulled \n`;
      }
      return ok("", out);
    }
    case "create": {
      const parsed = serviceArgs(loaded, subArgs, {
        "--force-recreate": false,
        "--no-recreate": false,
        "--remove-orphans": false,
        "--pull": true,
      });
      if ("code" in parsed) return parsed;
      const { names } = parsed;
      createVolumes(guest, project.name, loaded.volumes);
      let out = w;
      for (const n of names) {
        const svc = ensureService(project, n, loaded);
        if (!svc.pulled) {
          out += ` ${n} Pulling \n ${n} Pulled \n`;
          svc.pulled = true;
        }
        if (svc.state === "running") continue;
        out += ` Container ${container(project, n)}  Created\n`;
      }
      return ok("", out);
    }
    case "up": {
      const parsed = serviceArgs(loaded, subArgs, {
        "-d": false,
        "--detach": false,
        "--wait": false,
        "--remove-orphans": false,
        "--force-recreate": false,
        "--no-build": false,
        "--quiet-pull": false,
        "--pull": true,
        "--wait-timeout": true,
      });
      if ("code" in parsed) return parsed;
      if (!parsed.flags.has("-d") && !parsed.flags.has("--detach")) {
        // Attached `up` never returns; the simulator only models detached runs.
        return err("the simulator supports only 'docker compose up -d' (attached mode would never exit)");
      }
      const { names } = parsed;
      createVolumes(guest, project.name, loaded.volumes);
      let out = w;
      const net = `${project.name}_default`;
      if (![...project.services.values()].some((s) => s.state !== "exited")) {
        out += ` Network ${net}  Creating\n Network ${net}  Created\n`;
      }
      for (const n of names) {
        const svc = ensureService(project, n, loaded);
        if (!svc.pulled) {
          out += ` ${n} Pulling \n ${n} Pulled \n`;
          svc.pulled = true;
        }
        const c = container(project, n);
        if (svc.state === "running" && !parsed.flags.has("--force-recreate")) {
          out += ` Container ${c}  Running\n`;
          continue;
        }
        out += ` Container ${c}  Creating\n Container ${c}  Created\n Container ${c}  Starting\n Container ${c}  Started\n`;
        svc.state = "running";
        svc.healthChecks = 0;
      }
      return ok("", out);
    }
    case "ps": {
      const parsed = serviceArgs(loaded, subArgs, {
        "--format": true,
        "-a": false,
        "--all": false,
        "-q": false,
        "--quiet": false,
        "--services": false,
      });
      if ("code" in parsed) return parsed;
      const all = parsed.flags.has("-a") || parsed.flags.has("--all");
      const { names } = parsed;
      const rows = names
        .map((n) => project.services.get(n))
        .filter((s): s is ComposeService => s !== undefined && (all || s.state === "running"));
      const format = parsed.flags.get("--format");
      if (format === "json") {
        // Compose >= 2.21 prints one JSON object per line.
        return ok(rows.map((s) => `${JSON.stringify(psEntry(project, s))}\n`).join(""), w);
      }
      if (parsed.flags.has("--services")) return ok(rows.map((s) => `${s.name}\n`).join(""), w);
      const header =
        "NAME                IMAGE               COMMAND             SERVICE             CREATED             STATUS              PORTS\n";
      return ok(
        header +
          rows
            .map(
              (s) =>
                `${container(project, s.name)}   ${s.image}   "/entrypoint"   ${s.name}   1 minute ago   ${statusText(s)}   ${portsText(s)}\n`,
            )
            .join(""),
        w,
      );
    }
    case "logs": {
      const parsed = serviceArgs(loaded, subArgs, {
        "--tail": true,
        "-n": true,
        "--no-color": false,
        "-t": false,
        "--timestamps": false,
        "--no-log-prefix": false,
      });
      if ("code" in parsed) return parsed;
      const { names } = parsed;
      const tail = parsed.flags.get("--tail") ?? parsed.flags.get("-n") ?? "all";
      let out = "";
      for (const n of names) {
        const svc = project.services.get(n);
        if (!svc) continue;
        let lines = [
          `Starting ${svc.image}`,
          `listening on 0.0.0.0:${svc.ports[0]?.split(":").pop()?.split("/")[0] ?? "8080"}`,
          "ready to accept connections",
        ];
        if (tail !== "all") lines = lines.slice(Math.max(0, lines.length - Number(tail)));
        const prefix = parsed.flags.has("--no-log-prefix") ? "" : `${n}-1  | `;
        out += lines.map((l) => `${prefix}${l}\n`).join("");
      }
      return ok(out, w);
    }
    case "stop":
    case "start":
    case "restart": {
      const parsed = serviceArgs(loaded, subArgs, { "-t": true, "--timeout": true });
      if ("code" in parsed) return parsed;
      const { names } = parsed;
      let out = w;
      for (const n of names) {
        const svc = project.services.get(n);
        if (!svc) continue;
        const c = container(project, n);
        if (sub !== "start") out += ` Container ${c}  Stopping\n Container ${c}  Stopped\n`;
        if (sub !== "stop") out += ` Container ${c}  Starting\n Container ${c}  Started\n`;
        svc.state = sub === "stop" ? "exited" : "running";
        svc.healthChecks = 0;
      }
      return ok("", out);
    }
    case "down": {
      const parsed = splitFlags(subArgs, {
        "-v": false,
        "--volumes": false,
        "--remove-orphans": false,
        "--rmi": true,
        "-t": true,
        "--timeout": true,
      });
      if ("code" in parsed) return parsed;
      if (parsed.names.length > 0)
        return err(`unknown command "${parsed.names[0]}" for "docker compose down"`);
      let out = w;
      for (const s of project.services.values()) {
        const c = container(project, s.name);
        if (s.state === "running") out += ` Container ${c}  Stopping\n Container ${c}  Stopped\n`;
        out += ` Container ${c}  Removing\n Container ${c}  Removed\n`;
      }
      if (project.services.size > 0)
        out += ` Network ${project.name}_default  Removing\n Network ${project.name}_default  Removed\n`;
      if (parsed.flags.has("-v") || parsed.flags.has("--volumes")) {
        for (const v of loaded.volumes) {
          const root = volumeDataDir(`${project.name}_${v}`).replace(/\/_data$/, "");
          for (const k of [...guest.files.keys()]) if (k.startsWith(`${root}/`)) guest.files.delete(k);
          for (const k of [...guest.dirs]) if (k === root || k.startsWith(`${root}/`)) guest.dirs.delete(k);
          out += ` Volume ${project.name}_${v}  Removed\n`;
        }
      }
      guest.projects.delete(project.file);
      return ok("", out);
    }
  }
  return err(`unknown docker command: "compose ${sub}"`);
}

function ensureService(project: ComposeProject, name: string, loaded: LoadedProject): ComposeService {
  const def = loaded.services.get(name)!;
  let svc = project.services.get(name);
  if (!svc) {
    svc = {
      name,
      image: def.image,
      state: "created",
      pulled: false,
      ports: def.ports,
      environment: def.environment,
      volumes: def.volumes,
      healthcheck: def.healthcheck,
    };
    project.services.set(name, svc);
  } else {
    svc.image = def.image;
    svc.ports = def.ports;
    svc.environment = def.environment;
    svc.volumes = def.volumes;
    svc.healthcheck = def.healthcheck;
  }
  return svc;
}

function statusText(s: ComposeService): string {
  return s.state === "running"
    ? "Up About a minute"
    : s.state === "exited"
      ? "Exited (0) 5 seconds ago"
      : "Created";
}

function portsText(s: ComposeService): string {
  return s.ports
    .map((p) => {
      const parts = p.split(":");
      const target = parts.pop()!;
      const published = parts.pop();
      const proto = target.includes("/") ? "" : "/tcp";
      return published ? `0.0.0.0:${published}->${target}${proto}` : `${target}${proto}`;
    })
    .join(", ");
}

/**
 * Docker's view of a service's own health check: none ("") without one; "starting" at the first look after
 * it started, then "healthy" — or "unhealthy" for a release the simulator models as broken (an image tag
 * ending in `-unhealthy`, app-http.ts).
 */
function healthOf(s: ComposeService): string {
  if (!s.healthcheck || s.state !== "running") return "";
  const looks = s.healthChecks ?? 0;
  s.healthChecks = looks + 1;
  if (looks === 0) return "starting";
  return /:[^/:]*-unhealthy$/.test(s.image) ? "unhealthy" : "healthy";
}

function psEntry(project: ComposeProject, s: ComposeService): Record<string, unknown> {
  const name = container(project, s.name);
  return {
    Command: '"/docker-entrypoint.sh"',
    CreatedAt: "2025-07-01 12:00:00 +0000 UTC",
    ExitCode: 0,
    Health: healthOf(s),
    ID: createHash("sha256").update(name).digest("hex").slice(0, 12),
    Image: s.image,
    Labels: `com.docker.compose.project=${project.name},com.docker.compose.service=${s.name}`,
    LocalVolumes: "0",
    Mounts: "",
    Name: name,
    Names: name,
    Networks: `${project.name}_default`,
    Ports: portsText(s),
    Project: project.name,
    Publishers: s.ports.map((p) => {
      const parts = p.split(":");
      const target = parts.pop()!;
      return {
        URL: "0.0.0.0",
        TargetPort: Number(target.split("/")[0]),
        PublishedPort: Number(parts.pop() ?? 0),
        Protocol: target.split("/")[1] ?? "tcp",
      };
    }),
    RunningFor: "About a minute ago",
    Service: s.name,
    Size: "0B",
    State: s.state,
    Status: statusText(s),
  };
}

/**
 * The files a service's container sees through its named volumes (`<volume>:<target>`): the path inside the
 * container → the file in the simulated daemon's volume. What a test reads to see what an app found.
 */
export function serviceFiles(
  guest: GuestState,
  project: ComposeProject,
  service: ComposeService,
): Map<string, { data: Uint8Array; mode: number; owner?: string }> {
  const out = new Map<string, { data: Uint8Array; mode: number; owner?: string }>();
  for (const item of service.volumes) {
    const [source, target] = item.split(":");
    if (!source || !target || source.startsWith("/") || source.startsWith(".")) continue;
    const dir = volumeDataDir(`${project.name}_${source}`);
    for (const [path, f] of guest.files) {
      if (path.startsWith(`${dir}/`)) out.set(`${target.replace(/\/+$/, "")}${path.slice(dir.length)}`, f);
    }
  }
  return out;
}
