/**
 * `bun run sim [--port N] [--ssh-port N] [--nodes 3] [--speed 1.0] [--tls] [--seed N] [--pve 9.2|8.4]
 *   [--storage lvm,zfs,btrfs,dir] [--lxc-pve 6.0.5-2]`
 * Prints the connection details as ONE JSON line first on stdout, then runs until SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { STORAGE_LAYOUTS, type StorageLayout } from "./cluster.ts";
import { startSimulator } from "./index.ts";
import { PVE_RELEASES, type PveRelease } from "./version.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    port: { type: "string", default: "0" },
    "ssh-port": { type: "string", default: "0" },
    nodes: { type: "string", default: "3" },
    speed: { type: "string", default: "1" },
    tls: { type: "boolean", default: false },
    seed: { type: "string" },
    "auth-fail-delay-ms": { type: "string", default: "0" },
    pve: { type: "string", default: "9.2" },
    storage: { type: "string" },
    "lxc-pve": { type: "string" },
  },
  strict: true,
});

if (!PVE_RELEASES.includes(values.pve as PveRelease)) {
  process.stderr.write(`--pve must be one of ${PVE_RELEASES.join(", ")}\n`);
  process.exit(2);
}
const layouts = values.storage?.split(",").filter(Boolean) ?? [];
if (layouts.some((l) => !STORAGE_LAYOUTS.includes(l as StorageLayout))) {
  process.stderr.write(`--storage takes a comma-separated list of ${STORAGE_LAYOUTS.join(", ")}\n`);
  process.exit(2);
}

const sim = await startSimulator({
  pve: values.pve as PveRelease,
  ...(layouts.length ? { storageLayouts: layouts as StorageLayout[] } : {}),
  ...(values["lxc-pve"] ? { lxcPveVersion: values["lxc-pve"] } : {}),
  port: Number(values.port),
  sshPort: Number(values["ssh-port"]),
  nodes: Number(values.nodes),
  speed: Number(values.speed),
  tls: values.tls,
  authFailDelayMs: Number(values["auth-fail-delay-ms"]),
  ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
});

process.stdout.write(
  `${JSON.stringify({
    api_url: sim.apiUrl,
    username: sim.username,
    password: sim.password,
    token_id: sim.tokenId,
    token_secret: sim.tokenSecret,
    ssh_host: sim.sshHost,
    ssh_port: sim.sshPort,
    ssh_username: sim.sshUsername,
    ssh_password: sim.sshPassword,
    fingerprint: sim.fingerprint ?? null,
  })}\n`,
);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await sim.stop();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
