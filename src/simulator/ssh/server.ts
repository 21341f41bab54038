/**
 * One ssh2 server per node, each on its own loopback address with the same port
 * (pve1 → 127.0.0.11, pve2 → 127.0.0.12, ...), so "pct exec runs on the node that holds the
 * container" is observable: a command for a CT on pve2 sent to pve1 fails like on a real cluster.
 * Auth: user `root` with the password, or any public key authorised via option or /_sim/ssh-keys.
 */
import { timingSafeEqual } from "node:crypto";
import { type AuthContext, type ParsedKey, Server, utils } from "ssh2";
import type { Sim } from "../context.ts";
import { runNodeCommand } from "./pct.ts";

export interface SshOptions {
  port: number;
  username: string;
  password: string;
  hostKey: string;
}

function keyMatches(allowed: Set<string>, ctx: AuthContext & { method: "publickey" }): boolean {
  for (const line of allowed) {
    const parsed = utils.parseKey(line);
    if (parsed instanceof Error) continue;
    const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey | undefined;
    if (!key) continue;
    const pub = key.getPublicSSH();
    if (
      key.type !== ctx.key.algo ||
      pub.length !== ctx.key.data.length ||
      !timingSafeEqual(pub, ctx.key.data)
    )
      continue;
    // Without a signature the client is only asking whether the key would be accepted.
    if (!ctx.signature) return true;
    return key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true;
  }
  return false;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startNodeSsh(
  sim: Sim,
  node: string,
  address: string,
  opts: SshOptions,
): Promise<Server> {
  const server = new Server({ hostKeys: [opts.hostKey] }, (client) => {
    // A node that is down accepts no connection.
    if (!sim.cluster.node(node).online) {
      client.end();
      return;
    }
    let user = "";
    client.on("authentication", (ctx) => {
      const other = sim.sshUsers.get(ctx.username);
      if (ctx.username !== opts.username && !other) return ctx.reject(["password", "publickey"]);
      const password = other ? other.password : opts.password;
      if (ctx.method === "password" && safeEqual(ctx.password, password)) {
        user = ctx.username;
        return ctx.accept();
      }
      if (ctx.method === "publickey" && !other && keyMatches(sim.authorizedKeys, ctx)) {
        user = ctx.username;
        return ctx.accept();
      }
      ctx.reject(["password", "publickey"]);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("exec", (accept, _reject, info) => {
          const stream = accept();
          const chunks: Buffer[] = [];
          let ended = false;
          const waiters: (() => void)[] = [];
          stream.on("data", (d: Buffer) => chunks.push(d));
          stream.on("end", () => {
            ended = true;
            for (const w of waiters.splice(0)) w();
          });
          const stdin = () =>
            new Promise<Uint8Array>((resolve) => {
              const done = () => resolve(new Uint8Array(Buffer.concat(chunks)));
              if (ended) done();
              else waiters.push(done);
            });
          runNodeCommand({ sim, node, command: info.command, user, stdin })
            .then((outcome) => {
              if ("drop" in outcome) {
                // The connection goes away without an exit status, like a network failure.
                client.end();
                return;
              }
              if (outcome.stdout) stream.write(outcome.stdout);
              if (outcome.stderr) stream.stderr.write(outcome.stderr);
              stream.exit(outcome.code);
              stream.end();
            })
            .catch((e: Error) => {
              stream.stderr.write(`${e.message}\n`);
              stream.exit(255);
              stream.end();
            });
        });
        // Interactive shells are not part of the vocabulary.
        session.on("shell", (_accept, reject) => reject());
        session.on("pty", (accept) => accept?.());
      });
    });
    client.on("error", () => {
      // A client that vanishes mid-command must not crash the simulator.
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, address, () => resolve());
  });
  return server;
}
