import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "ssh2";
import { generateEd25519KeyPair } from "../../../src/crypto/ssh-keys.ts";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { ALPINE, Api, boot, DEBIAN, pctCommand, sshConnect, sshExec } from "./helpers.ts";

let sim: RunningSimulator;
let api: Api;
let pve1: Client;
let pve2: Client;

const COMPOSE = `services:
  web:
    image: nginx:\${NGINX_TAG:-alpine}
    ports:
      - "8080:80"
  db:
    image: postgres:16
`;

beforeAll(async () => {
  sim = await boot();
  api = new Api(sim);
  await api.downloadTemplate("pve1", ALPINE);
  await api.downloadTemplate("pve2", DEBIAN);
  await api.createCt("pve1", 100, { start: true });
  await api.createCt("pve1", 101);
  await api.createCt("pve2", 200, { template: `local:vztmpl/${DEBIAN}`, start: true });
  pve1 = await sshConnect(sim, sim.nodeAddress("pve1"));
  pve2 = await sshConnect(sim, sim.nodeAddress("pve2"));
});
afterAll(async () => {
  pve1?.end();
  pve2?.end();
  await sim.stop();
});

const run = (c: Client, vmid: number, argv: string[], stdin?: string) =>
  sshExec(c, pctCommand(vmid, argv), stdin);

describe("ssh login", () => {
  test("a wrong password is refused", async () => {
    await expect(sshConnect(sim, sim.nodeAddress("pve1"), { password: "nope" })).rejects.toThrow(
      /authentication methods failed/,
    );
  });

  test("a public key is accepted once authorised via /_sim/ssh-keys", async () => {
    const keys = generateEd25519KeyPair();
    await expect(sshConnect(sim, sim.nodeAddress("pve3"), { privateKey: keys.private })).rejects.toThrow();
    const r = await api.simPost("/_sim/ssh-keys", { public_key: keys.public });
    expect(r.status).toBe(200);
    const c = await sshConnect(sim, sim.nodeAddress("pve3"), { privateKey: keys.private });
    const res = await sshExec(c, "pct exec 100 -- true");
    // pve3 does not hold CT 100: the config lookup is per node.
    expect(res).toMatchObject({
      code: 2,
      stderr: "Configuration file 'nodes/pve3/lxc/100.conf' does not exist\n",
    });
    c.end();
  });
});

describe("pct exec", () => {
  test("runs only on the node that holds the container", async () => {
    expect(await run(pve1, 100, ["true"])).toMatchObject({ code: 0 });
    const wrong = await run(pve2, 100, ["true"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe("Configuration file 'nodes/pve2/lxc/100.conf' does not exist\n");
  });

  test("a stopped container is refused with pct's text and exit 255", async () => {
    const r = await run(pve1, 101, ["true"]);
    expect(r).toMatchObject({ code: 255, stderr: "container '101' not running!\n" });
  });

  test("anything but pct on the node shell is 127", async () => {
    const r = await sshExec(pve1, "ls /etc/pve");
    expect(r).toMatchObject({ code: 127, stderr: "bash: line 1: ls: command not found\n" });
  });

  test("unknown programs inside the container exit 127", async () => {
    const direct = await run(pve1, 100, ["curl", "http://x"]);
    expect(direct.code).toBe(127);
    expect(direct.stderr).toContain('Failed to exec "curl"');
    const viaSh = await run(pve1, 100, ["sh", "-c", "curl http://x"]);
    expect(viaSh).toMatchObject({ code: 127, stderr: "sh: curl: not found\n" });
    const debian = await run(pve2, 200, ["sh", "-c", "apk add docker"]);
    expect(debian).toMatchObject({ code: 127, stderr: "sh: 1: apk: not found\n" });
  });
});

describe("files", () => {
  test("tee writes stdin to a file; cat reads it; chmod records the mode; test -f and rm -f", async () => {
    expect(await run(pve1, 100, ["mkdir", "-p", "/opt/proximity/app"])).toMatchObject({ code: 0 });
    const secret = "DB_PASSWORD=it's $ecret\n";
    const tee = await run(pve1, 100, ["tee", "/opt/proximity/app/.env"], secret);
    expect(tee).toMatchObject({ code: 0, stdout: secret });
    expect(await run(pve1, 100, ["chmod", "600", "/opt/proximity/app/.env"])).toMatchObject({ code: 0 });
    expect((await run(pve1, 100, ["cat", "/opt/proximity/app/.env"])).stdout).toBe(secret);
    expect((await run(pve1, 100, ["test", "-f", "/opt/proximity/app/.env"])).code).toBe(0);
    expect((await run(pve1, 100, ["test", "-f", "/opt/proximity/app/nope"])).code).toBe(1);

    const ct = sim.state().containers.find((c) => c.vmid === 100)!;
    expect(ct.files["/opt/proximity/app/.env"]).toEqual({
      mode: "0600",
      size: secret.length,
      content: secret,
    });
    // What the container received: the argv, and the data only as stdin of tee.
    const teeCmd = ct.commands.find((c) => c.argv[0] === "tee")!;
    expect(teeCmd).toMatchObject({
      argv: ["tee", "/opt/proximity/app/.env"],
      hasStdin: true,
      stdin: secret,
      exitCode: 0,
    });
    expect(teeCmd.command).toBe("pct exec 100 -- 'tee' '/opt/proximity/app/.env'");

    expect((await run(pve1, 100, ["rm", "-f", "/opt/proximity/app/.env"])).code).toBe(0);
    expect((await run(pve1, 100, ["rm", "-f", "/opt/proximity/app/.env"])).code).toBe(0);
    const missing = await run(pve1, 100, ["cat", "/opt/proximity/app/.env"]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: "cat: can't open '/opt/proximity/app/.env': No such file or directory\n",
    });
    const noDir = await run(pve1, 100, ["tee", "/nowhere/x"], "x");
    expect(noDir).toMatchObject({ code: 1, stderr: "tee: /nowhere/x: No such file or directory\n" });
  });

  test("sh -c runs && lists with quotes and no expansion", async () => {
    const r = await run(pve1, 100, [
      "sh",
      "-c",
      "mkdir -p /srv/a && echo \"$HOME\" 'x y' && false || echo fallback",
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "$HOME x y\nfallback\n" });
  });
});

describe("docker on Alpine", () => {
  test("docker is missing until installed; apk add, rc-update, service start", async () => {
    const before = await run(pve1, 100, ["sh", "-c", "docker compose version"]);
    expect(before).toMatchObject({ code: 127, stderr: "sh: docker: not found\n" });
    expect((await run(pve1, 100, ["apk", "update"])).code).toBe(0);
    const add = await run(pve1, 100, ["apk", "add", "--no-cache", "docker", "docker-cli-compose"]);
    expect(add.code).toBe(0);
    expect(add.stdout).toContain("Installing docker");
    const bogus = await run(pve1, 100, ["apk", "add", "no-such-thing"]);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain("no-such-thing (no such package)");

    expect((await run(pve1, 100, ["docker", "--version"])).stdout).toMatch(
      /^Docker version \d+\.\d+\.\d+, build \w+\n$/,
    );
    const info = await run(pve1, 100, ["docker", "info"]);
    expect(info.code).toBe(1);
    expect(info.stderr).toContain("Is the docker daemon running?");

    expect(await run(pve1, 100, ["rc-update", "add", "docker", "default"])).toMatchObject({
      code: 0,
      stdout: " * service docker added to runlevel default\n",
    });
    expect((await run(pve1, 100, ["service", "docker", "start"])).code).toBe(0);
    expect((await run(pve1, 100, ["docker", "info"])).code).toBe(0);
    expect(sim.state().containers.find((c) => c.vmid === 100)!.docker).toEqual({
      installed: true,
      enabled: true,
      running: true,
    });
  });

  test("docker compose pull / up -d / ps --format json / logs / down track service state", async () => {
    await run(pve1, 100, ["tee", "/opt/proximity/app/compose.yaml"], COMPOSE);
    await run(pve1, 100, ["tee", "/opt/proximity/app/.env"], "NGINX_TAG=1.27\n");
    const base = [
      "docker",
      "compose",
      "-f",
      "/opt/proximity/app/compose.yaml",
      "--env-file",
      "/opt/proximity/app/.env",
    ];

    const pull = await run(pve1, 100, [...base, "pull"]);
    expect(pull.code).toBe(0);
    expect(pull.stderr).toContain("web Pulled");
    const up = await run(pve1, 100, [...base, "up", "-d", "--remove-orphans"]);
    expect(up.code).toBe(0);
    expect(up.stderr).toContain("Container app-web-1  Started");

    const ps = await run(pve1, 100, [...base, "ps", "--format", "json"]);
    expect(ps.code).toBe(0);
    const rows = ps.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.Service, r.State, r.Image])).toEqual([
      ["web", "running", "nginx:1.27"],
      ["db", "running", "postgres:16"],
    ]);
    expect(rows[0].Publishers[0]).toMatchObject({ PublishedPort: 8080, TargetPort: 80, Protocol: "tcp" });

    const logs = await run(pve1, 100, [...base, "logs", "--tail", "2", "web"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split("\n")).toHaveLength(2);
    expect(logs.stdout).toStartWith("web-1  | ");

    const unknown = await run(pve1, 100, [...base, "logs", "cache"]);
    expect(unknown).toMatchObject({ code: 1, stderr: "no such service: cache\n" });

    const state = sim.state().containers.find((c) => c.vmid === 100)!;
    expect(state.compose).toEqual([
      {
        file: "/opt/proximity/app/compose.yaml",
        project: "app",
        services: [
          { name: "web", image: "nginx:1.27", state: "running", environment: {}, files: {} },
          { name: "db", image: "postgres:16", state: "running", environment: {}, files: {} },
        ],
      },
    ]);

    const down = await run(pve1, 100, [...base, "down"]);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain("Container app-web-1  Removed");
    const after = await run(pve1, 100, [...base, "ps", "--format", "json"]);
    expect(after).toMatchObject({ code: 0, stdout: "" });
  });

  test("an image on the host's network listens on the web port its project's .env names (APP_PORT)", async () => {
    const compose = "services:\n  gw:\n    image: example/gateway:2.0.12\n    network_mode: host\n";
    await run(pve1, 100, ["tee", "/opt/proximity/app/gw.yaml"], compose);
    // As a deploy runs it: no --env-file, so compose reads the .env beside the compose file.
    const base = ["docker", "compose", "-f", "/opt/proximity/app/gw.yaml"];
    const listening = async (env: string) => {
      await run(pve1, 100, ["tee", "/opt/proximity/app/.env"], env);
      expect((await run(pve1, 100, [...base, "up", "-d"])).code).toBe(0);
      const out = (await run(pve1, 100, [...base, "ps", "--format", "json"])).stdout;
      await run(pve1, 100, [...base, "down"]);
      return JSON.parse(out.trim()).Publishers.map((p: { TargetPort: number }) => p.TargetPort);
    };
    expect(await listening("APP_PORT=34323\n")).toEqual([34323]);
    // Without one it listens nowhere a health check could reach.
    expect(await listening("TZ=Etc/UTC\n")).toEqual([]);
  });

  test("invalid YAML, a service without image, a missing file and an unknown flag fail like the CLI", async () => {
    await run(pve1, 100, ["tee", "/opt/proximity/bad.yaml"], "services:\n  web:\n    image: [nginx\n");
    const bad = await run(pve1, 100, ["docker", "compose", "-f", "/opt/proximity/bad.yaml", "up", "-d"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^yaml: line \d+: /);

    await run(pve1, 100, ["tee", "/opt/proximity/noimg.yaml"], "services:\n  web:\n    ports: ['80:80']\n");
    const noimg = await run(pve1, 100, ["docker", "compose", "-f", "/opt/proximity/noimg.yaml", "up", "-d"]);
    expect(noimg).toMatchObject({
      code: 1,
      stderr: 'service "web" has neither an image nor a build context specified: invalid compose project\n',
    });

    const missing = await run(pve1, 100, ["docker", "compose", "-f", "/opt/x/compose.yaml", "up", "-d"]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: "open /opt/x/compose.yaml: no such file or directory\n",
    });

    const flag = await run(pve1, 100, [
      "docker",
      "compose",
      "-f",
      "/opt/proximity/app/compose.yaml",
      "up",
      "-d",
      "--bogus",
    ]);
    expect(flag).toMatchObject({ code: 1, stderr: "unknown flag: --bogus\n" });
  });
});

describe("docker on Debian", () => {
  test("apt-get needs -y; docker.io starts the daemon via systemd; systemctl enable --now works", async () => {
    expect((await run(pve2, 200, ["apt-get", "update"])).code).toBe(0);
    const noYes = await run(pve2, 200, ["apt-get", "install", "docker.io"]);
    expect(noYes.code).toBe(1);
    expect(noYes.stdout).toContain("Do you want to continue? [Y/n] Abort.");
    const unknown = await run(pve2, 200, ["apt-get", "install", "-y", "dockr"]);
    expect(unknown).toMatchObject({ code: 100, stderr: "E: Unable to locate package dockr\n" });
    // Bookworm has no Compose plugin in its own archive: only Docker's repository ships one.
    const plugin = await run(pve2, 200, ["apt-get", "install", "-y", "docker-compose-plugin"]);
    expect(plugin).toMatchObject({
      code: 100,
      stderr: "E: Unable to locate package docker-compose-plugin\n",
    });
    const install = await run(pve2, 200, [
      "env",
      "DEBIAN_FRONTEND=noninteractive",
      "apt-get",
      "install",
      "-y",
      "docker.io",
      "docker-compose",
    ]);
    expect(install.code).toBe(0);
    // docker-compose 1.29.2 is the Python v1 tool: `docker compose` does not exist.
    expect((await run(pve2, 200, ["docker", "compose", "version"])).stderr).toStartWith(
      "docker: 'compose' is not a docker command.",
    );
    expect((await run(pve2, 200, ["docker-compose", "version"])).stdout).toContain("1.29.2");
    expect((await run(pve2, 200, ["systemctl", "enable", "--now", "docker"])).code).toBe(0);
    expect((await run(pve2, 200, ["systemctl", "is-active", "docker"])).stdout).toBe("active\n");
    const rc = await run(pve2, 200, ["rc-update", "add", "docker", "default"]);
    expect(rc.code).toBe(127);
  });
});
