/**
 * A minimal PVE node SSH endpoint (ssh2 Server) for pct exec tests. It parses the command line strictly:
 * `pct exec <int> -- ` followed only by single-quoted words ('…' joined by \' escapes). Anything else is
 * refused with exit 2, so a client that let unquoted text into the line fails the tests.
 */

import { createHash } from "node:crypto";
import { Server, utils } from "ssh2";
import { generateEd25519KeyPair } from "../../../../src/crypto/ssh-keys.ts";

export interface FakeNodeOptions {
  host: string;
  port?: number;
  password: string;
  hostKey?: string;
}

export function parseStrictPctExec(command: string): { vmid: number; argv: string[] } | undefined {
  const m = /^pct exec (\d+) --keep-env 0 -- (.*)$/s.exec(command);
  if (!m) return undefined;
  const argv: string[] = [];
  let rest = m[2]!;
  while (rest.length > 0) {
    const word = /^((?:'[^']*'|\\')+)(?: |$)/.exec(rest);
    if (!word) return undefined;
    argv.push(
      word[1]!.replace(/'([^']*)'|\\'/g, (all, inner: string | undefined) =>
        all === "\\'" ? "'" : (inner ?? ""),
      ),
    );
    rest = rest.slice(word[0].length);
  }
  return { vmid: Number(m[1]), argv };
}

export async function startFakeNode(options: FakeNodeOptions) {
  const hostKey = options.hostKey ?? generateEd25519KeyPair().private;
  const parsed = utils.parseKey(hostKey);
  if (parsed instanceof Error) throw parsed;
  const publicBlob = parsed.getPublicSSH();
  const fingerprint = `SHA256:${createHash("sha256").update(publicBlob).digest("base64").replace(/=+$/, "")}`;

  const files = new Map<string, Buffer>();
  const commands: string[] = [];
  let connections = 0;
  let dropNext = false;
  const clients = new Set<{ end(): void }>();

  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    connections++;
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", () => {});
    client.on("authentication", (ctx) => {
      if (ctx.method === "password" && ctx.username === "root" && ctx.password === options.password)
        ctx.accept();
      else ctx.reject(["password"]);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("exec", (accept, _reject, info) => {
          const stream = accept();
          commands.push(info.command);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            if (dropNext) {
              dropNext = false;
              client.end();
              return;
            }
            const finish = (code: number, out = "", err = "") => {
              if (out) stream.write(out);
              if (err) stream.stderr.write(err);
              stream.exit(code);
              stream.end();
            };
            const cmd = parseStrictPctExec(info.command);
            if (!cmd) return finish(2, "", "refused: not a strictly quoted pct exec line\n");
            const [program, ...args] = cmd.argv;
            const stdin = Buffer.concat(chunks);
            const key = (path: string) => `${cmd.vmid}:${path}`;
            switch (program) {
              case "tee":
                files.set(key(args[0]!), stdin);
                return finish(0, stdin.toString("latin1"));
              case "cat": {
                const content = files.get(key(args[0]!));
                return content
                  ? finish(0, content.toString("utf8"))
                  : finish(1, "", `cat: ${args[0]}: No such file or directory\n`);
              }
              case "test":
                return finish(args[0] === "-f" && files.has(key(args[1]!)) ? 0 : 1);
              case "sleep":
                return; // never answers: for timeouts
              default:
                return finish(127, "", `sh: ${program}: not found\n`);
            }
          });
        });
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: options.host,
    port,
    hostKey,
    fingerprint,
    files,
    commands,
    connections: () => connections,
    dropNextCommand: () => {
      dropNext = true;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
