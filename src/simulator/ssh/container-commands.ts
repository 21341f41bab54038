/**
 * The command vocabulary inside a simulated container (no general shell): files (`tee`, `cat`,
 * `mkdir`, `chmod`, `test`/`[`, `rm`), `echo`/`true`/`false`/`env`, `sh -c` over those, package
 * managers (`apk` on Alpine, `apt-get` on Debian/Ubuntu), service managers (`rc-update`/`service`
 * on Alpine, `systemctl`/`service` on Debian), and `docker` (`--version`, `info`, `compose ...`).
 * Programs that do not exist in that container exit 127.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { rewriteLoad } from "../caddy.ts";
import type { Container } from "../cluster.ts";
import { dockerCompose, type ExecResult, volumeDataDir } from "../compose.ts";
import type { GuestState } from "../guest.ts";
import { ARCHIVES, archiveOf, DOCKER_GPG_URL, type PackageEffect } from "./archives.ts";
import { parseCommandList, type ShellSyntaxError } from "./shell-words.ts";

export interface GuestExec {
  ct: Container;
  /** Resolves with all of stdin once the client sends EOF. */
  stdin: () => Promise<Uint8Array>;
  /** Spends simulated time (package downloads, image pulls). */
  wait?: (ms: number) => Promise<void>;
  /** lxc-pve on the node: below 6.0.5-2, runc ≥ 1.2.8 (Docker's packages) cannot start containers. */
  nodeLxcPveFixed?: boolean;
  /** The real unix socket behind a path in this container (a real Caddy's admin socket, caddy.ts). */
  unixSocket?: (path: string) => string | undefined;
  /** The container address of the Caddy behind a real socket, for rewriting a loaded configuration. */
  caddyTarget?: (socket: string) => { ip: string; socket: string } | undefined;
}

const ok = (stdout = "", stderr = ""): ExecResult => ({ code: 0, stdout, stderr });
const DAEMON_DOWN_TEXT =
  "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";
const fail = (stderr: string, code = 1): ExecResult => ({ code, stdout: "", stderr: `${stderr}\n` });

export type Flavour = "alpine" | "debian";

export function flavourOf(ct: Container): Flavour {
  return ct.config.ostype === "alpine" ? "alpine" : "debian";
}

function exists(guest: GuestState, path: string): boolean {
  return guest.files.has(path) || guest.dirs.has(path);
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Paths are resolved against / (lxc-attach's working directory for root is /root; we keep it simple). */
function abs(path: string): string {
  const p = path.startsWith("/") ? path : `/root/${path}`;
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (!seg || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join("/")}`;
}

function hasProgram(ct: Container, program: string): boolean {
  const g = ct.guest;
  const base = program.split("/").pop()!;
  const flavour = flavourOf(ct);
  switch (base) {
    case "tee":
    case "cat":
    case "mkdir":
    case "chmod":
    case "test":
    case "[":
    case "rm":
    case "sh":
    case "echo":
    case "true":
    case "false":
    case "env":
    case "service":
    case "chpasswd":
    case "chown":
    case "realpath":
      return true;
    case "apk":
    case "rc-update":
      return flavour === "alpine";
    case "apt-get":
    case "apt":
    case "systemctl":
    case "bash":
      return flavour === "debian" || (base === "bash" && g.packages.has("bash"));
    case "docker":
      return g.dockerCli;
    case "docker-compose":
      return g.composeV1 || g.composePlugin;
    case "curl":
      return g.packages.has("curl");
    default:
      return false;
  }
}

/** Which argv consume stdin (the server must then wait for the client's EOF). */
export function needsStdin(argv: string[]): boolean {
  const prog = argv[0]?.split("/").pop();
  if (prog === "tee" || prog === "chpasswd") return true;
  if (prog === "curl") return argv.some((a, i) => a === "@-" && argv[i - 1]?.startsWith("--data"));
  if (prog === "cat")
    return argv
      .slice(1)
      .filter((a) => !a.startsWith("-") || a === "-")
      .every((a) => a === "-");
  if ((prog === "sh" || prog === "bash") && argv[1] === "-c" && argv[2] !== undefined) {
    try {
      return parseCommandList(argv[2]).commands.some((c) => needsStdin(c.argv));
    } catch {
      return false;
    }
  }
  return false;
}

/** Runs one argv inside the container; `viaShell` changes how a missing program is reported. */
export async function runInGuest(x: GuestExec, argv: string[], viaShell = false): Promise<ExecResult> {
  const { ct } = x;
  const g = ct.guest;
  const program = argv[0] ?? "";
  if (!hasProgram(ct, program)) {
    if (viaShell) {
      return fail(
        flavourOf(ct) === "alpine" ? `sh: ${program}: not found` : `sh: 1: ${program}: not found`,
        127,
      );
    }
    // pct exec runs lxc-attach, which execs argv directly (no shell in between).
    return fail(
      `lxc-attach: ${ct.vmid}: ../src/lxc/attach.c: lxc_attach_run_command: 1841 No such file or directory - Failed to exec "${program}"`,
      127,
    );
  }
  const args = argv.slice(1);
  switch (program.split("/").pop()) {
    case "true":
      return ok();
    case "false":
      return { code: 1, stdout: "", stderr: "" };
    case "echo":
      return ok(`${args.join(" ")}\n`);
    case "env": {
      // `env VAR=value cmd ...`: the variables are accepted and ignored.
      let i = 0;
      while (i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]!)) i++;
      return i < args.length ? runInGuest(x, args.slice(i), viaShell) : ok();
    }
    case "sh":
    case "bash":
      return args[0] !== undefined && !args[0].startsWith("-") ? scriptFile(x, args[0]) : shellC(x, args);
    case "tee":
      return tee(x, args);
    case "chpasswd":
      return chpasswd(x);
    case "cat": {
      const files = args.filter((a) => !a.startsWith("-") || a === "-");
      if (files.length === 0 || files.every((f) => f === "-"))
        return ok(new TextDecoder().decode(await x.stdin()));
      let out = "";
      for (const f of files) {
        const file = g.files.get(abs(f));
        if (!file) {
          return g.dirs.has(abs(f))
            ? { code: 1, stdout: out, stderr: `cat: read error: Is a directory\n` }
            : { code: 1, stdout: out, stderr: `cat: can't open '${f}': No such file or directory\n` };
        }
        out += new TextDecoder().decode(file.data);
      }
      return ok(out);
    }
    case "mkdir": {
      const parents = args.includes("-p");
      for (const d of args.filter((a) => !a.startsWith("-"))) {
        const p = abs(d);
        if (g.files.has(p)) return fail(`mkdir: can't create directory '${d}': File exists`);
        if (g.dirs.has(p)) {
          if (!parents) return fail(`mkdir: can't create directory '${d}': File exists`);
          continue;
        }
        if (!parents && !g.dirs.has(parentOf(p)))
          return fail(`mkdir: can't create directory '${d}': No such file or directory`);
        let cur = "";
        for (const seg of p.split("/").filter(Boolean)) {
          cur += `/${seg}`;
          if (g.files.has(cur)) return fail(`mkdir: can't create directory '${d}': Not a directory`);
          g.dirs.add(cur);
        }
      }
      return ok();
    }
    case "chmod": {
      const [mode, ...files] = args.filter((a) => a !== "-R" && a !== "--");
      if (!mode || files.length === 0) return fail("chmod: missing operand");
      if (!/^[0-7]{3,4}$/.test(mode)) return fail(`chmod: invalid mode '${mode}'`);
      for (const f of files) {
        const file = g.files.get(abs(f));
        if (!file) {
          if (g.dirs.has(abs(f))) continue;
          return fail(`chmod: ${f}: No such file or directory`);
        }
        file.mode = Number.parseInt(mode, 8);
      }
      return ok();
    }
    case "test":
    case "[": {
      const t = program === "[" ? args.slice(0, -1) : args;
      if (program === "[" && args[args.length - 1] !== "]") return fail("sh: missing ]", 2);
      const [op, path] = t;
      if (path === undefined) return { code: op ? 0 : 1, stdout: "", stderr: "" };
      const p = abs(path);
      const r =
        op === "-f" ? g.files.has(p) : op === "-d" ? g.dirs.has(p) : op === "-e" ? exists(g, p) : undefined;
      if (r === undefined) return fail(`sh: ${op}: unknown operand`, 2);
      return { code: r ? 0 : 1, stdout: "", stderr: "" };
    }
    case "rm": {
      const force = args.some((a) => /^-[a-zA-Z]*f/.test(a));
      const recursive = args.some((a) => /^-[a-zA-Z]*[rR]/.test(a));
      for (const f of args.filter((a) => !a.startsWith("-"))) {
        const p = abs(f);
        if (g.files.delete(p)) continue;
        if (g.dirs.has(p)) {
          if (!recursive) return fail(`rm: '${f}' is a directory`);
          for (const k of [...g.files.keys()]) if (k.startsWith(`${p}/`)) g.files.delete(k);
          for (const k of [...g.dirs]) if (k === p || k.startsWith(`${p}/`)) g.dirs.delete(k);
          continue;
        }
        if (!force) return fail(`rm: can't remove '${f}': No such file or directory`);
      }
      return ok();
    }
    case "chown": {
      const [owner, ...paths] = args.filter((a) => a !== "-R" && a !== "-h" && a !== "--");
      if (!owner || paths.length === 0) return fail("chown: missing operand");
      if (!/^[0-9]+(:[0-9]+)?$/.test(owner) && !/^root(:root)?$/.test(owner))
        return fail(`chown: invalid user: '${owner}'`);
      for (const f of paths) {
        const file = g.files.get(abs(f));
        if (file) file.owner = owner.includes(":") ? owner : `${owner}:${owner}`;
        else if (!g.dirs.has(abs(f))) return fail(`chown: cannot access '${f}': No such file or directory`);
      }
      return ok();
    }
    case "realpath": {
      // The simulated filesystem has no links: a path resolves to itself, normalized (`-m`: it may not exist).
      const missingOk = args.includes("-m");
      const paths = args.filter((a) => !a.startsWith("-"));
      let out = "";
      for (const f of paths) {
        if (!missingOk && !exists(g, abs(f)))
          return { code: 1, stdout: out, stderr: `realpath: ${f}: No such file or directory\n` };
        out += `${abs(f)}\n`;
      }
      return ok(out);
    }
    case "apk":
      return apk(x, args);
    case "apt-get":
    case "apt":
      return aptGet(x, args);
    case "curl":
      return args.includes("--unix-socket") ? curlUnix(x, args) : curl(ct, args);
    case "docker-compose":
      return g.composeV1
        ? args[0] === "version" || args[0] === "--version"
          ? ok("docker-compose version 1.29.2, build unknown\n")
          : fail("the simulator only answers 'docker-compose version' for Compose v1")
        : args[0] === "version" || args[0] === "--version"
          ? ok("Docker Compose version v2.26.1\n")
          : fail("use 'docker compose'");
    case "rc-update":
      return rcUpdate(ct, args);
    case "service":
      return service(ct, args);
    case "systemctl":
      return systemctl(ct, args);
    case "docker":
      return docker(x, args);
  }
  return fail(`sh: ${program}: not found`, 127);
}

/**
 * `bash <file>`: the one script the simulator runs is a community helper script's `/usr/bin/update` (its
 * one line fetches `ct/<slug>.sh`, whose update_script updates the app in place). Any other file is refused.
 */
async function scriptFile(x: GuestExec, path: string): Promise<ExecResult> {
  const file = x.ct.guest.files.get(abs(path));
  if (!file) return fail(`bash: ${path}: No such file or directory`, 127);
  const text = new TextDecoder().decode(file.data);
  const slug = /ProxmoxVE\/main\/ct\/([a-z0-9._-]+)\.sh/.exec(text)?.[1];
  const app = x.ct.guest.helperApp;
  if (!slug || !app || app.slug !== slug)
    return fail(`bash: ${path}: the simulator only runs a helper script's /usr/bin/update`, 2);
  return helperUpdate(x, app);
}

/**
 * A helper script's update_script, as its output reads (msg_info/msg_ok lines): stop the service, fetch
 * the release, update, start. The outcome is the app's `nextUpdate` (set with POST /_sim/containers/{vmid}).
 */
async function helperUpdate(x: GuestExec, app: NonNullable<GuestState["helperApp"]>): Promise<ExecResult> {
  const next = app.version + 1;
  const lines = [
    `  ✔️   Container storage and resources are fine`,
    `  ℹ️   Checking for a new release of ${app.slug}`,
    `  ✔️   Found v${next}.0.0 (installed: v${app.version}.0.0)`,
    `  ⏳  Stopping Service`,
  ];
  app.serving = false;
  await x.wait?.(2000);
  lines.push(`  ✔️   Stopped Service`, `  ⏳  Updating ${app.slug} to v${next}.0.0`);
  await x.wait?.(4000);
  if (app.nextUpdate === "fail") {
    return {
      code: 1,
      stdout: `${lines.join("\n")}\n`,
      stderr: `  ✖️   in line 42: exit code 1: while executing command npm install --omit dev\n`,
    };
  }
  app.version = next;
  x.ct.guest.files.set(`/opt/${app.slug}_version.txt`, {
    data: new TextEncoder().encode(`${next}.0.0\n`),
    mode: 0o644,
  });
  lines.push(`  ✔️   Updated ${app.slug} to v${next}.0.0`, `  ⏳  Starting Service`);
  // `break`: the script ends well, but the new version does not come up (a health check must notice).
  app.serving = app.nextUpdate !== "break";
  lines.push(`  ✔️   Started Service`, `  ✔️   Updated successfully!`);
  return ok(`${lines.join("\n")}\n`);
}

/** `sh -c 'a && b; c'`: runs a command list over the vocabulary (no expansion, no pipes). */
async function shellC(x: GuestExec, args: string[]): Promise<ExecResult> {
  if (args[0] !== "-c" || args[1] === undefined)
    return fail("sh: only 'sh -c <command>' is supported by the simulator", 2);
  let list: ReturnType<typeof parseCommandList>;
  try {
    list = parseCommandList(args[1]);
  } catch (e) {
    return fail(`sh: ${(e as ShellSyntaxError).message}`, 2);
  }
  let last: ExecResult = ok();
  let stdout = "";
  let stderr = "";
  for (const { argv, op } of list.commands) {
    if (op === "&&" && last.code !== 0) continue;
    if (op === "||" && last.code === 0) continue;
    last = await runInGuest(x, argv, true);
    stdout += last.stdout;
    stderr += last.stderr;
  }
  return { code: last.code, stdout, stderr };
}

async function tee(x: GuestExec, args: string[]): Promise<ExecResult> {
  const g = x.ct.guest;
  const append = args.includes("-a");
  const data = await x.stdin();
  for (const f of args.filter((a) => !a.startsWith("-"))) {
    const p = abs(f);
    if (!g.dirs.has(parentOf(p)))
      return {
        code: 1,
        stdout: new TextDecoder().decode(data),
        stderr: `tee: ${f}: No such file or directory\n`,
      };
    if (g.dirs.has(p))
      return { code: 1, stdout: new TextDecoder().decode(data), stderr: `tee: ${f}: Is a directory\n` };
    const existing = g.files.get(p);
    const content = append && existing ? new Uint8Array([...existing.data, ...data]) : data;
    // New files get 0644 (umask 022); an existing file keeps its mode.
    g.files.set(p, { data: content, mode: existing?.mode ?? 0o644 });
  }
  return ok(new TextDecoder().decode(data));
}

function install(ct: Container, effects: [string, PackageEffect][]): void {
  const g = ct.guest;
  for (const [name, e] of effects) {
    g.packages.add(name);
    if (e.daemon) {
      g.dockerInstalled = true;
      g.dockerVersion = e.version ?? g.dockerVersion;
      g.dockerFromDockerRepo = e.dockerRepo === true;
    }
    if (e.cli) g.dockerCli = true;
    if (e.composePlugin) g.composePlugin = true;
    if (e.composeV1) g.composeV1 = true;
  }
  if (g.dockerInstalled) {
    g.dirs.add("/etc/docker");
    g.dirs.add("/var/lib/docker");
  }
}

/** Downloads at ~10 MiB/s plus unpacking: tens of seconds for Docker, as on real hardware. */
async function spendInstallTime(x: GuestExec, effects: [string, PackageEffect][]): Promise<void> {
  const mib = effects.reduce((n, [, e]) => n + e.mib, 0);
  await x.wait?.(3000 + mib * 300);
}

async function apk(x: GuestExec, args: string[]): Promise<ExecResult> {
  const { ct } = x;
  const [sub, ...rest] = args.filter(
    (a) => !["--no-cache", "-q", "--quiet", "--update", "-U", "--no-progress"].includes(a),
  );
  const update =
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.22/main/x86_64/APKINDEX.tar.gz\n" +
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.22/community/x86_64/APKINDEX.tar.gz\n" +
    "v3.22.1-12-g2b4cdb3f4ea [https://dl-cdn.alpinelinux.org/alpine/v3.22/main]\n" +
    "v3.22.1-11-g3c7e8f4e2d1 [https://dl-cdn.alpinelinux.org/alpine/v3.22/community]\n" +
    "OK: 26405 distinct packages available\n";
  if (sub === "update") {
    await x.wait?.(2000);
    return ok(update);
  }
  if (sub === "add") {
    const archive = ARCHIVES.alpine!;
    const unknown = rest.filter((p) => !archive[p]);
    if (unknown.length > 0) {
      return fail(
        `ERROR: unable to select packages:\n${unknown.map((p) => `  ${p} (no such package):\n    required by: world[${p}]`).join("\n")}`,
      );
    }
    const effects = rest.map((p): [string, PackageEffect] => [p, archive[p]!]);
    await spendInstallTime(x, effects);
    install(ct, effects);
    const lines = rest.map((p, i) => `(${i + 1}/${rest.length}) Installing ${p} (1.0.0-r0)`);
    if (rest.includes("docker"))
      lines.push("Executing docker-28.3.3-r0.pre-install", "Executing busybox-1.37.0-r18.trigger");
    return ok(`${lines.join("\n")}\nOK: 312 MiB in 78 packages\n`);
  }
  return fail(`apk-tools 2.14.9, compiled for x86_64.\n\nERROR: unknown command '${sub ?? ""}'`);
}

/** Docker's repository is configured when a sources list names it for this release, with its key. */
function dockerRepoConfigured(ct: Container, codename: string): boolean {
  const g = ct.guest;
  for (const [path, f] of g.files) {
    if (!path.startsWith("/etc/apt/sources.list.d/")) continue;
    const text = new TextDecoder().decode(f.data);
    const line = text
      .split("\n")
      .find((l) => /^deb .*https:\/\/download\.docker\.com\/linux\/debian /.test(l));
    if (!line?.includes(` ${codename} `)) continue;
    const key = /signed-by=([^\s\]]+)/.exec(line)?.[1];
    if (key && g.files.has(key)) return true;
  }
  return false;
}

async function aptGet(x: GuestExec, args: string[]): Promise<ExecResult> {
  const { ct } = x;
  const opts = args.filter((a) => a.startsWith("-"));
  const [sub, ...pkgs] = args.filter((a) => !a.startsWith("-"));
  const archiveName = archiveOf(ct.guest.distro);
  const archive = ARCHIVES[archiveName]!;
  if (sub === "update") {
    await x.wait?.(4000);
    ct.guest.aptDockerRepo = dockerRepoConfigured(ct, archiveName);
    const docker = ct.guest.aptDockerRepo
      ? `Get:4 https://download.docker.com/linux/debian ${archiveName} InRelease [46.6 kB]\n`
      : "";
    return ok(
      `Hit:1 http://deb.debian.org/debian ${archiveName} InRelease\nGet:2 http://deb.debian.org/debian ${archiveName}-updates InRelease [55.4 kB]\n` +
        `Get:3 http://security.debian.org ${archiveName}-security InRelease [48.0 kB]\n${docker}Fetched 103 kB in 1s (142 kB/s)\nReading package lists...\n`,
    );
  }
  if (sub === "install") {
    const available = (p: string) => archive[p] && (!archive[p]!.dockerRepo || ct.guest.aptDockerRepo);
    const unknown = pkgs.filter((p) => !available(p));
    if (unknown.length > 0) {
      return {
        code: 100,
        stdout: "Reading package lists...\nBuilding dependency tree...\nReading state information...\n",
        stderr: `E: Unable to locate package ${unknown[0]}\n`,
      };
    }
    const yes = opts.some(
      (o) => o === "-y" || o === "--yes" || o === "--assume-yes" || o === "-qy" || o === "-yq",
    );
    const withRecommends = !opts.includes("--no-install-recommends");
    const names = [...pkgs];
    if (withRecommends) {
      for (const p of pkgs)
        for (const r of archive[p]!.recommends ?? []) if (!names.includes(r)) names.push(r);
    }
    const head = `Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  ${names.join(" ")}\n`;
    if (!yes) return { code: 1, stdout: `${head}Do you want to continue? [Y/n] Abort.\n`, stderr: "" };
    const effects = names.map((p): [string, PackageEffect] => [p, archive[p]!]);
    await spendInstallTime(x, effects);
    install(ct, effects);
    // Debian's docker packages enable and start the service in their postinst.
    if (effects.some(([, e]) => e.daemon)) {
      ct.guest.dockerEnabled = true;
      ct.guest.dockerRunning = true;
    }
    return ok(
      `${head}${names.map((p) => `Setting up ${p} ...`).join("\n")}\nProcessing triggers for man-db (2.11.2-2) ...\n`,
    );
  }
  return fail(`E: Invalid operation ${sub ?? ""}`, 100);
}

/** `curl -fsSL <url> -o <file>`: only Docker's signing key is reachable from the simulated network. */
function curl(ct: Container, args: string[]): ExecResult {
  const o = args.indexOf("-o");
  const out = o >= 0 ? args[o + 1] : undefined;
  const url = args.filter((a, i) => !a.startsWith("-") && i !== o + 1)[0];
  if (!url) return fail("curl: no URL specified", 2);
  if (url !== DOCKER_GPG_URL) return fail(`curl: (6) Could not resolve host: ${new URL(url).host}`, 6);
  const key =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBFit2ioBEADhWpZ8/wvZ6hUTiXOwQHXMAlaFHcPH9hAtr4F1y2+OYdbtMuth\n-----END PGP PUBLIC KEY BLOCK-----\n";
  if (!out) return ok(key);
  const path = abs(out);
  if (!ct.guest.dirs.has(parentOf(path))) return fail(`curl: (23) Failure writing output to destination`, 23);
  ct.guest.files.set(path, { data: new TextEncoder().encode(key), mode: 0o644 });
  return ok();
}

/**
 * `curl -sS --unix-socket <path> [-X M] [-H h]… [--data-binary @-] [-w fmt] <url>`: a real request over the
 * real socket behind `path` (a real Caddy's admin API, caddy.ts); a path nothing listens on fails as curl
 * does (exit 7). A body POSTed to Caddy's `/load` is rewritten for the container's namespace (rewriteLoad).
 */
async function curlUnix(x: GuestExec, args: string[]): Promise<ExecResult> {
  let socketPath: string | undefined;
  let method: string | undefined;
  let body: string | undefined;
  let format = "";
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--unix-socket") socketPath = args[++i];
    else if (a === "-X" || a === "--request") method = args[++i];
    else if (a === "-H" || a === "--header") {
      const h = args[++i] ?? "";
      // `-H 'Host;'` sends the header empty (what Caddy's admin API wants over a unix socket).
      const [k, ...v] = h.endsWith(";") && !h.includes(":") ? [h.slice(0, -1), ""] : h.split(":");
      if (k) headers[k.trim().toLowerCase()] = v.join(":").trim();
    } else if (a === "--data-binary" || a === "-d" || a === "--data") {
      const v = args[++i] ?? "";
      body = v === "@-" ? new TextDecoder().decode(await x.stdin()) : v;
    } else if (a === "-w" || a === "--write-out") format = args[++i] ?? "";
    else if (a.startsWith("-")) continue;
    else url = a;
  }
  if (!url) return fail("curl: no URL specified", 2);
  const real = socketPath ? x.unixSocket?.(socketPath) : undefined;
  if (!real)
    return fail(
      `curl: (7) Failed to connect to ${new URL(url).hostname} port 80 after 0 ms: Couldn't connect to server`,
      7,
    );
  const u = new URL(url);
  const target = x.caddyTarget?.(real);
  if (body !== undefined && u.pathname === "/load" && target) body = rewriteLoad(body, target);
  return new Promise<ExecResult>((resolve) => {
    const req = httpRequest(
      {
        socketPath: real,
        path: `${u.pathname}${u.search}`,
        method: method ?? (body === undefined ? "GET" : "POST"),
        setHost: false,
        headers: { host: u.host, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const out = Buffer.concat(chunks).toString();
          const written = format
            .replaceAll("%{http_code}", String(res.statusCode ?? 0))
            .replaceAll("\\n", "\n");
          resolve(ok(out + written));
        });
      },
    );
    req.on("error", (e) => resolve(fail(`curl: (7) ${e.message}`, 7)));
    req.end(body);
  });
}

function rcUpdate(ct: Container, args: string[]): ExecResult {
  const [sub, svc, level = "default"] = args;
  if (sub !== "add" && sub !== "del") return fail(`rc-update: unknown command '${sub ?? ""}'`);
  if (svc !== "docker" || !ct.guest.dockerInstalled) {
    return fail(` * rc-update: service \`${svc ?? ""}' does not exist`);
  }
  ct.guest.dockerEnabled = sub === "add";
  return ok(` * service ${svc} ${sub === "add" ? "added to" : "removed from"} runlevel ${level}\n`);
}

function service(ct: Container, args: string[]): ExecResult {
  const [svc, action] = args;
  const alpine = flavourOf(ct) === "alpine";
  if (svc !== "docker" || !ct.guest.dockerInstalled) {
    return alpine
      ? fail(` * service: service \`${svc ?? ""}' does not exist`)
      : fail(`${svc ?? ""}: unrecognized service`);
  }
  const g = ct.guest;
  switch (action) {
    case "start":
      if (g.dockerRunning) return ok(alpine ? " * WARNING: docker has already been started\n" : "");
      g.dockerRunning = true;
      return ok(
        alpine
          ? " * Caching service dependencies ... [ ok ]\n * Starting Docker Daemon ... [ ok ]\n"
          : "Starting Docker: docker.\n",
      );
    case "stop":
      g.dockerRunning = false;
      return ok(alpine ? " * Stopping Docker Daemon ... [ ok ]\n" : "Stopping Docker: docker.\n");
    case "restart":
      g.dockerRunning = true;
      return ok(
        alpine
          ? " * Stopping Docker Daemon ... [ ok ]\n * Starting Docker Daemon ... [ ok ]\n"
          : "Restarting Docker: docker.\n",
      );
    case "status":
      return g.dockerRunning
        ? ok(alpine ? " * status: started\n" : "Docker is running.\n")
        : {
            code: 3,
            stdout: alpine ? " * status: stopped\n" : "Docker is not running ... failed!\n",
            stderr: "",
          };
    default:
      return fail(`Usage: service docker {start|stop|restart|status}`);
  }
}

function systemctl(ct: Container, args: string[]): ExecResult {
  const now = args.includes("--now");
  const [action, unit] = args.filter((a) => !a.startsWith("-"));
  const name = (unit ?? "").replace(/\.service$/, "");
  const g = ct.guest;
  if (name !== "docker" || !g.dockerInstalled) {
    if (action === "is-active") return { code: 4, stdout: "inactive\n", stderr: "" };
    return fail(
      `Failed to ${action ?? "run"} unit: Unit file ${name}.service does not exist.`,
      action === "start" ? 5 : 1,
    );
  }
  switch (action) {
    case "enable":
      g.dockerEnabled = true;
      if (now) g.dockerRunning = true;
      return ok(
        "",
        "Synchronizing state of docker.service with SysV service script with /lib/systemd/systemd-sysv-install.\nExecuting: /lib/systemd/systemd-sysv-install enable docker\n",
      );
    case "disable":
      g.dockerEnabled = false;
      if (now) g.dockerRunning = false;
      return ok();
    case "start":
    case "restart":
      g.dockerRunning = true;
      return ok();
    case "stop":
      g.dockerRunning = false;
      return ok();
    case "is-active":
      return g.dockerRunning ? ok("active\n") : { code: 3, stdout: "inactive\n", stderr: "" };
    case "is-enabled":
      return g.dockerEnabled ? ok("enabled\n") : { code: 1, stdout: "disabled\n", stderr: "" };
    default:
      return fail(`Unknown command verb ${action ?? ""}.`);
  }
}

async function docker(x: GuestExec, args: string[]): Promise<ExecResult> {
  const { ct } = x;
  const g = ct.guest;
  const version = `${g.dockerVersion || "28.3.3"}, build 980b856`;
  if (args[0] === "--version" || args[0] === "-v") return ok(`Docker version ${version}\n`);
  if (args[0] === "info") {
    const client = `Client:\n Version:    ${version.split(",")[0]}\n Context:    default\n Debug Mode: false\n`;
    if (!g.dockerRunning || !g.dockerInstalled) {
      return {
        code: 1,
        stdout: client,
        stderr:
          "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
      };
    }
    const running = [...g.projects.values()].reduce(
      (n, p) => n + [...p.services.values()].filter((s) => s.state === "running").length,
      0,
    );
    return ok(
      `${client}\nServer:\n Containers: ${running}\n  Running: ${running}\n Server Version: ${version.split(",")[0]}\n Storage Driver: overlay2\n Cgroup Driver: cgroupfs\n Cgroup Version: 2\n`,
    );
  }
  if (args[0] === "compose") {
    if (!g.composePlugin) return fail("docker: 'compose' is not a docker command.\nSee 'docker --help'");
    const sub = args.slice(1).find((a) => !a.startsWith("-") && !a.endsWith(".yaml") && !a.endsWith(".yml"));
    if (sub === "pull") await x.wait?.(8000);
    // Docker's own packages bring runc ≥ 1.2.8, whose CVE-2025-52881 fix cannot open the sysctl under the
    // AppArmor profile of lxc-pve < 6.0.5-2 (fixed there, #7006): every container start fails.
    if (sub === "up" && g.dockerFromDockerRepo && x.nodeLxcPveFixed === false) {
      return fail(
        "Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: permission denied: unknown",
      );
    }
    return dockerCompose(g, args.slice(1));
  }
  if (args[0] === "volume") return dockerVolume(g, args.slice(1));
  return fail(`docker: '${args[0] ?? ""}' is not a docker command.\nSee 'docker --help'`);
}

/** `docker volume inspect [--format '{{ .Mountpoint }}'] <name>…`: the volumes compose created. */
function dockerVolume(g: GuestState, args: string[]): ExecResult {
  if (args[0] !== "inspect") return fail(`the simulator only models 'docker volume inspect'`);
  if (!g.dockerRunning) return fail(DAEMON_DOWN_TEXT);
  let format: string | undefined;
  const names: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--format" || a === "-f") format = args[++i];
    else if (a.startsWith("--format=")) format = a.slice("--format=".length);
    else if (a.startsWith("-")) return fail(`unknown flag: ${a}`);
    else names.push(a);
  }
  if (names.length === 0) return fail('"docker volume inspect" requires at least 1 argument.');
  const out: string[] = [];
  for (const name of names) {
    const mountpoint = volumeDataDir(name);
    if (!g.dirs.has(mountpoint)) return fail(`Error response from daemon: get ${name}: no such volume`);
    if (format !== undefined && !/^\{\{\s*\.Mountpoint\s*\}\}$/.test(format))
      return fail(`the simulator only formats {{ .Mountpoint }}`);
    out.push(
      format !== undefined
        ? mountpoint
        : JSON.stringify({ Name: name, Driver: "local", Mountpoint: mountpoint }),
    );
  }
  return ok(`${out.join("\n")}\n`);
}

/**
 * `chpasswd`: "user:password" lines on stdin (never on the command line). Only root exists in the
 * simulated guest; its hash lands in /etc/shadow so tests can see the password changed.
 */
async function chpasswd(x: GuestExec): Promise<ExecResult> {
  const lines = new TextDecoder()
    .decode(await x.stdin())
    .split("\n")
    .filter((l) => l.length > 0);
  for (const [i, line] of lines.entries()) {
    const sep = line.indexOf(":");
    const user = sep < 0 ? line : line.slice(0, sep);
    if (sep < 0) return fail(`chpasswd: line ${i + 1}: missing new password`, 1);
    if (user !== "root") return fail(`chpasswd: line ${i + 1}: user '${user}' does not exist`, 1);
    const hash = createHash("sha256")
      .update(line.slice(sep + 1))
      .digest("hex");
    x.ct.guest.files.set("/etc/shadow", {
      data: new TextEncoder().encode(`root:$6$sim$${hash}:20000:0:99999:7:::\n`),
      mode: 0o640,
    });
  }
  return ok();
}
