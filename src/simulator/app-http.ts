/**
 * The apps "inside" simulated containers answer HTTP for real: for every running compose service with a
 * published TCP port, in a running container with a DHCP lease, a listener on <lease ip>:<host port>
 * (loopback addresses 127.B.x.y, see cluster.ts) answers every path with 200. Proximity's health checks therefore cross a
 * real socket. Reconciled against the cluster state on a short interval, so it follows up/down/stop/delete
 * without hooks in the command code. A fault with path "app:http" makes the apps answer its status instead,
 * and so does a release the simulator models as broken (`unhealthyImage`).
 *
 * A service a community helper script installed (guest.helperApp) answers on the container's address and
 * the script's port while it is up.
 *
 * Application containers created from an OCI image (guest.oci) have no Docker: their app is the init
 * process, so it answers on the container's own address at the port the image's app listens on (which
 * may come from the container's `env`), as long as the `entrypoint` still starts the image's program.
 *
 * On 443 and 8443 an app answers HTTPS with a self-signed certificate (`servesTls`), as apps that serve TLS
 * themselves do.
 *
 * Vaultwarden's stand-in also serves a web vault page that creates accounts only in a secure context
 * (vaultwarden.ts): what HTTPS names (docs/access.md) are for.
 */
import { createHash } from "node:crypto";
import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { isCaddyService } from "./caddy.ts";
import type { Cluster, Container } from "./cluster.ts";
import type { FaultRegistry } from "./faults.ts";
import { parseEnvList } from "./oci.ts";
import { findImage, imageProgram } from "./oci-registry.ts";
import { generateSelfSigned, type TlsMaterial } from "./tls.ts";
import { type VaultAccount, vaultwardenStandIn } from "./vaultwarden.ts";

/**
 * The ports on which a simulated app serves HTTPS itself, with a self-signed certificate, as web apps that
 * terminate TLS conventionally do (443, 8443); every other port answers plain HTTP.
 */
export function servesTls(port: number): boolean {
  return port === 443 || port === 8443;
}

/** "8080:80", "127.0.0.1:8080:80/tcp", "53:53/udp" → host port of a TCP mapping, or undefined. */
export function publishedTcpPort(mapping: string): number | undefined {
  const [spec, proto = "tcp"] = mapping.split("/");
  if (proto !== "tcp" || !spec) return undefined;
  const parts = spec.split(":");
  const host = parts.length >= 2 ? parts[parts.length - 2] : parts[0];
  const port = Number(host);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

export class AppListeners {
  private readonly servers = new Map<string, Server>();
  /** Accounts made in each simulated Vaultwarden (by vmid), kept across its restarts. */
  private readonly vaultAccounts = new Map<number, Map<string, VaultAccount>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private tls: TlsMaterial | undefined;
  private tlsPending = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly faults: FaultRegistry,
  ) {}

  start(intervalMs = 25): void {
    this.timer = setInterval(() => this.sync(), intervalMs);
    this.sync();
  }

  /** Addresses that should answer now. */
  private desired(): Map<string, { ip: string; port: number; service: string; vmid: number }> {
    const want = new Map<string, { ip: string; port: number; service: string; vmid: number }>();
    for (const ct of this.cluster.containers.values()) {
      const oci = ociApp(ct);
      // Keyed with the container: another container that gets the same address (an OCI update reuses the
      // MAC) gets a listener of its own.
      if (oci) want.set(`${oci.ip}:${oci.port}:${oci.vmid}`, oci);
      const helper = helperApp(ct);
      if (helper) want.set(`${helper.ip}:${helper.port}:${helper.vmid}`, helper);
      if (ct.status !== "running" || !ct.guest.dockerRunning) continue;
      const lease = [...ct.leases.values()][0];
      const ip = lease?.split("/")[0];
      if (!ip?.startsWith("127.")) continue;
      for (const project of ct.guest.projects.values()) {
        for (const svc of project.services.values()) {
          // A `caddy:*` service is a real Caddy (caddy.ts), not a stand-in.
          if (svc.state !== "running" || isCaddyService(svc)) continue;
          for (const mapping of svc.ports) {
            const port = publishedTcpPort(mapping);
            if (port) want.set(`${ip}:${port}:${ct.vmid}`, { ip, port, service: svc.name, vmid: ct.vmid });
          }
        }
      }
    }
    return want;
  }

  sync(): void {
    const want = this.desired();
    for (const [key, server] of this.servers) {
      if (!want.has(key)) {
        close(server);
        this.servers.delete(key);
      }
    }
    for (const [key, { ip, port, service, vmid }] of want) {
      if (this.servers.has(key)) continue;
      const tls = servesTls(port) ? this.certificate() : undefined;
      if (servesTls(port) && !tls) continue; // the certificate is being made: the next sync listens
      // node:http rather than Bun.serve so that demo mode also runs under Deno (docs/runtime.md).
      const handler: RequestListener = (req, res) => {
        // Between two reconciliations the container may have stopped: a stopped app does not answer.
        if (this.cluster.containers.get(vmid)?.status !== "running") {
          req.socket.destroy();
          return;
        }
        const fault = this.faults.takeForApp(vmid);
        const broken = unhealthyImage(this.cluster.containers.get(vmid), service);
        const status = fault?.action === "http_500" || broken ? 500 : 200;
        if (status === 200 && service === "vaultwarden") {
          const accounts = this.vaultAccounts.get(vmid) ?? new Map<string, VaultAccount>();
          this.vaultAccounts.set(vmid, accounts);
          if (vaultwardenStandIn(req, res, accounts)) return;
        }
        if (status === 200 && (req.method === "POST" || req.method === "PUT")) {
          // An upload: the body is read to its end (streamed, never held) and its size answered.
          let received = 0;
          req.on("data", (chunk: Buffer) => {
            received += chunk.length;
          });
          req.on("end", () => {
            res.writeHead(200, { "content-type": "text/plain" });
            res.end(`received ${received} bytes by ${service}\n`);
          });
          return;
        }
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(
          status === 200
            ? `ok from ${service}${tls ? " over https" : ""}\n`
            : `${fault?.message ?? (broken ? `${broken} fails to start its app` : "unhealthy")}\n`,
        );
      };
      const server = tls
        ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler)
        : createServer(handler);
      // A WebSocket (RFC 6455) that echoes each text message: what apps with live pages need from a proxy.
      server.on("upgrade", (req, socket) => {
        if (String(req.headers.upgrade).toLowerCase() !== "websocket" || !req.headers["sec-websocket-key"]) {
          socket.destroy();
          return;
        }
        const accept = createHash("sha1")
          .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest("base64");
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        let buffered = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          for (;;) {
            const frame = readFrame(buffered);
            if (!frame) break;
            buffered = buffered.subarray(frame.size);
            if (frame.opcode === 0x8) {
              socket.end(Buffer.from([0x88, 0]));
              return;
            }
            if (frame.opcode === 0x1) socket.write(textFrame(frame.payload));
          }
        });
        socket.on("error", () => socket.destroy());
      });
      server.once("error", () => {
        // Port in use on that address (a stale listener being torn down): the next sync retries.
        if (this.servers.get(key) === server) this.servers.delete(key);
        close(server);
      });
      server.listen(port, ip);
      this.servers.set(key, server);
    }
  }

  /** One self-signed certificate for every app that serves TLS, made once (undefined until it is ready). */
  private certificate(): TlsMaterial | undefined {
    if (!this.tls && !this.tlsPending) {
      this.tlsPending = true;
      void generateSelfSigned("app.sim", []).then(
        (m) => {
          this.tls = m;
        },
        () => {
          this.tlsPending = false;
        },
      );
    }
    return this.tls;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const server of this.servers.values()) close(server);
    this.servers.clear();
  }
}

/**
 * The simulator's model of a release that is broken: an image whose tag ends in `-unhealthy` (for example
 * `vaultwarden/server:1.38.0-unhealthy`) pulls and starts like any other, but its app answers every
 * request with 500, so a health check after an update to it fails and the rollback path runs end to end.
 * Returns the image when the service answering runs such a release.
 */
export function unhealthyImage(ct: Container | undefined, service: string): string | undefined {
  if (!ct) return undefined;
  const images = ct.guest.oci
    ? [`${ct.guest.oci.repository}:${ct.guest.oci.tag}`]
    : [...ct.guest.projects.values()].flatMap((p) => {
        const svc = p.services.get(service);
        return svc ? [svc.image] : [];
      });
  return images.find((image) => /:[^/:]*-unhealthy$/.test(image));
}

/** The listener of a running OCI application container, if its app runs and has an address. */
function ociApp(ct: Container): { ip: string; port: number; service: string; vmid: number } | undefined {
  if (ct.status !== "running" || !ct.guest.oci) return undefined;
  const image = findImage(ct.guest.oci.repository);
  const ip = [...ct.leases.values()][0]?.split("/")[0];
  if (!image || !ip?.startsWith("127.")) return undefined;
  const program = String(ct.config.entrypoint ?? "/sbin/init").split(" ")[0];
  if (program !== imageProgram(image.config)) return undefined;
  const fromEnv = image.app.portEnv ? Number(parseEnvList(ct.config.env).get(image.app.portEnv)) : Number.NaN;
  const port = Number.isInteger(fromEnv) && fromEnv > 0 && fromEnv < 65536 ? fromEnv : image.app.port;
  return { ip, port, service: image.app.name, vmid: ct.vmid };
}

/** The service a community helper script installed, while the container runs and the service is up. */
function helperApp(ct: Container): { ip: string; port: number; service: string; vmid: number } | undefined {
  const app = ct.guest.helperApp;
  if (ct.status !== "running" || !app?.serving) return undefined;
  const ip = [...ct.leases.values()][0]?.split("/")[0];
  if (!ip?.startsWith("127.")) return undefined;
  return { ip, port: app.port, service: app.slug, vmid: ct.vmid };
}

/** Stop listening and drop open keep-alive connections (Proximity's health checks). */
function close(server: Server): void {
  server.close();
  server.closeAllConnections();
}

/** One complete client frame (masked, as RFC 6455 requires of clients) at the start of `b`, if there is one. */
function readFrame(b: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (b.length < 2) return undefined;
  const opcode = b[0]! & 0x0f;
  const masked = (b[1]! & 0x80) !== 0;
  let length = b[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (b.length < 4) return undefined;
    length = b.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (b.length < 10) return undefined;
    length = Number(b.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = masked ? b.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (b.length < offset + length) return undefined;
  const payload = Buffer.from(b.subarray(offset, offset + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return { opcode, payload, size: offset + length };
}

/** A server's text frame (unmasked). */
function textFrame(payload: Buffer): Buffer {
  const body = payload.subarray(0, 65_535);
  const head =
    body.length < 126
      ? Buffer.from([0x81, body.length])
      : Buffer.from([0x81, 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([head, body]);
}
