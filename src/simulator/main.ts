/**
 * `bun run sim [--port N] [--ssh-port N] [--nodes 3] [--speed 1.0] [--tls] [--seed N]`
 * Prints the connection details as ONE JSON line first on stdout, then runs until SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { startSimulator } from "./index.ts";

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
  },
  strict: true,
});

const sim = await startSimulator({
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
