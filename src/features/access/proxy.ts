/**
 * Talks to the proxy's Caddy admin API the only way Proximity reaches inside a container: `pct exec` over
 * SSH, running `curl --unix-socket` in the proxy's LXC against the socket the entry bind-mounts
 * (`./run:/run/caddy` in the project at /opt/proximity). The API never listens on the network. Fixed argv
 * only; the configuration travels on stdin.
 */
import type { Application } from "../../db/schema.ts";
import type { HostsService } from "../hosts/hosts.service.ts";

/** The admin socket as the proxy's LXC sees it (entries/proximity-proxy.yaml: CADDY_ADMIN, ./run). */
export const ADMIN_SOCKET = "/opt/proximity/run/admin.sock";

export class ProxyError extends Error {}

interface Answer {
  status: number;
  body: string;
}

export class ProxyDriver {
  constructor(
    private readonly hosts: HostsService,
    private readonly timeoutMs = 60_000,
  ) {}

  /** POST /load: the whole configuration; Caddy keeps the old one when it refuses the new (the error says why). */
  async load(proxy: Application, config: unknown): Promise<void> {
    const answer = await this.call(proxy, "POST", "/load", JSON.stringify(config));
    if (answer.status !== 200) throw new ProxyError(`Caddy refused the configuration: ${caddyError(answer)}`);
  }

  /** The internal CA's root certificate (PEM), from GET /pki/ca/local. */
  async rootCertificate(proxy: Application): Promise<string> {
    const answer = await this.call(proxy, "GET", "/pki/ca/local");
    if (answer.status !== 200) throw new ProxyError(`Caddy has no internal CA yet: ${caddyError(answer)}`);
    const pem = (JSON.parse(answer.body) as { root_certificate?: string }).root_certificate;
    if (!pem?.includes("BEGIN CERTIFICATE")) throw new ProxyError("Caddy answered no root certificate");
    return pem;
  }

  private async call(proxy: Application, method: string, path: string, body?: string): Promise<Answer> {
    if (!proxy.node || proxy.vmid === null) throw new ProxyError("The proxy has no container yet");
    const executor = await this.hosts.executor(proxy.hostId);
    const argv = [
      "curl",
      "-sS",
      "--unix-socket",
      ADMIN_SOCKET,
      "-X",
      method,
      // Over a unix socket Caddy's admin API accepts an empty Host only.
      "-H",
      "Host;",
      ...(body === undefined ? [] : ["-H", "Content-Type: application/json", "--data-binary", "@-"]),
      "-w",
      "\\n%{http_code}",
      `http://localhost${path}`,
    ];
    const run = () =>
      executor.pctExec(proxy.node!, proxy.vmid!, argv, {
        ...(body === undefined ? {} : { stdin: body }),
        timeoutMs: this.timeoutMs,
      });
    let result = await run();
    if (result.exitCode === 127) {
      // The proxy's Alpine LXC has no curl until the first call installs it.
      const install = await executor.pctExec(proxy.node, proxy.vmid, ["apk", "add", "curl"], {
        timeoutMs: this.timeoutMs,
      });
      if (install.exitCode !== 0)
        throw new ProxyError(`Could not install curl in the proxy: ${lastLine(install.stderr)}`);
      result = await run();
    }
    const said = `${result.stderr}\n${result.stdout}`;
    if (result.exitCode !== 0 && /Configuration file .* does not exist/.test(said)) {
      throw new ProxyError(
        `The proxy's container (CT ${proxy.vmid} on ${proxy.node}) no longer exists: delete the proximity-proxy app and save the access settings again to deploy a new one`,
      );
    }
    if (result.exitCode !== 0 && /not running/.test(said)) {
      throw new ProxyError(
        `The proxy's container (CT ${proxy.vmid}) is not running: start the proximity-proxy app`,
      );
    }
    if (result.exitCode !== 0) {
      throw new ProxyError(
        result.exitCode === 7
          ? "Caddy's admin socket does not answer: the proxy's Caddy is not running (restart the proxy app)"
          : `curl in the proxy failed (exit ${result.exitCode}): ${lastLine(result.stderr || result.stdout)}`,
      );
    }
    const cut = result.stdout.lastIndexOf("\n");
    return { status: Number(result.stdout.slice(cut + 1).trim()), body: result.stdout.slice(0, cut) };
  }
}

function caddyError(a: Answer): string {
  try {
    const parsed = JSON.parse(a.body) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {
    // not JSON: the body itself
  }
  return `HTTP ${a.status} ${a.body.slice(0, 300)}`;
}

function lastLine(text: string): string {
  return text.trim().split("\n").slice(-1)[0] ?? "";
}
