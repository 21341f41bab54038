/**
 * Running commands inside containers: the PVE API has no LXC exec, so we SSH to the node that hosts the
 * container and run `pct exec <vmid> -- <argv…>`. One connection per node address is kept
 * and reused; host keys are pinned on first use and enforced afterwards.
 */
import { createHash } from "node:crypto";
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import { ProxmoxError, type ProxmoxErrorKind } from "./errors.ts";
import { buildPctExecCommand, commandLabel } from "./pct-command.ts";

/** Where pinned host keys live (in memory here; the hosts service provides a DB-backed one). */
export interface HostKeyStore {
  get(address: string): Promise<string | undefined>;
  set(address: string, sha256: string): Promise<void>;
}

export class MemoryHostKeyStore implements HostKeyStore {
  private readonly keys = new Map<string, string>();
  async get(address: string) {
    return this.keys.get(address);
  }
  async set(address: string, sha256: string) {
    this.keys.set(address, sha256);
  }
}

export interface PctExecInfo {
  node: string;
  vmid: number;
  /** argv[0] plus its subcommand ("docker compose"); never arguments that could carry data, never stdin. */
  command: string;
  /** null when the command did not complete (timeout, drop, connect failure). */
  exitCode: number | null;
  durationMs: number;
  error?: string;
  errorKind?: ProxmoxErrorKind;
}

export interface PctExecutorOptions {
  /** The configured SSH host, used when the resolver does not know the node. */
  host: string;
  port?: number;
  username: string;
  password?: string;
  privateKey?: string | Buffer;
  passphrase?: string;
  /** node name → address (the hosts service maps it from /cluster/status `ip`). */
  resolveNode?: (node: string) => Promise<string | undefined> | string | undefined;
  hostKeys: HostKeyStore;
  /** Shown in errors (defaults to the SSH host). */
  hostLabel?: string;
  connectTimeoutMs?: number;
  /** Default per-command timeout (10 min: package installs and image pulls are slow). */
  timeoutMs?: number;
  /** Cap per output stream; the rest is dropped (a runaway `docker logs` must not eat the heap). */
  maxOutputBytes?: number;
  onExec?: (info: PctExecInfo) => void;
}

export interface PctExecOptions {
  /** Data for the command (file contents for `tee`): never part of the command line. */
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  /** Each line of stdout and stderr as it arrives (a long command's progress); the result still has all. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

/** Splits chunks into lines for `onLine`; the last partial line waits for the next chunk or the end. */
class LineSplitter {
  private rest = "";
  private readonly decoder = new TextDecoder();
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: Buffer): void {
    const lines = (this.rest + this.decoder.decode(chunk, { stream: true })).split("\n");
    this.rest = lines.pop() ?? "";
    for (const line of lines) this.emit(line.replace(/\r$/, ""));
  }
  end(): void {
    if (this.rest) this.emit(this.rest);
    this.rest = "";
  }
}

export interface PctExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** OpenSSH-style "SHA256:<base64 without padding>" of the raw host key blob. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

interface PooledConnection {
  client: Client;
  closed: boolean;
}

export class PctExecutor {
  private readonly pool = new Map<string, Promise<PooledConnection>>();
  private readonly port: number;
  private readonly label: string;

  constructor(private readonly options: PctExecutorOptions) {
    if (!options.password && !options.privateKey)
      throw new TypeError("SSH needs a password or a private key");
    this.port = options.port ?? 22;
    this.label = options.hostLabel ?? options.host;
  }

  async pctExec(
    node: string,
    vmid: number,
    argv: string[],
    opts: PctExecOptions = {},
  ): Promise<PctExecResult> {
    const command = buildPctExecCommand(vmid, argv, { sudo: this.options.username !== "root" });
    const started = performance.now();
    const report = (exitCode: number | null, err?: ProxmoxError) => {
      try {
        this.options.onExec?.({
          node,
          vmid,
          command: commandLabel(argv),
          exitCode,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ...(err ? { error: err.pveMessage, errorKind: err.kind } : {}),
        });
      } catch {
        // Observers never break a command.
      }
    };
    try {
      const address = await this.resolve(node);
      const result = await this.execOn(address, node, command, opts);
      report(result.exitCode);
      return result;
    } catch (err) {
      const mapped = err instanceof ProxmoxError ? err : this.error("ssh_drop", node, String(err), err);
      report(null, mapped);
      throw mapped;
    }
  }

  /**
   * Checks that `pct` is usable on the node by this login: `pct list` as root, `sudo -n pct list`
   * otherwise. Returns the exit code and stderr ("please run as root", "sudo: a password is required").
   */
  async checkPct(node: string): Promise<PctExecResult> {
    const address = await this.resolve(node);
    return this.execOn(address, node, pctListCommand(this.options.username), { timeoutMs: 30_000 });
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    const entries = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(
      entries.map(async (p) => {
        try {
          (await p).client.end();
        } catch {
          // A connection that never opened has nothing to close.
        }
      }),
    );
  }

  private async resolve(node: string): Promise<string> {
    const resolved = await this.options.resolveNode?.(node);
    return resolved || this.options.host;
  }

  private async execOn(address: string, node: string, command: string, opts: PctExecOptions) {
    const conn = await this.connection(address, node);
    try {
      return await this.run(conn, node, command, opts);
    } catch (err) {
      // A pooled connection can die silently between commands; if the channel could not even be opened,
      // nothing ran, so one attempt on a fresh connection is safe.
      if (err instanceof ChannelOpenError) {
        this.evict(address, conn);
        return this.run(await this.connection(address, node), node, command, opts);
      }
      throw err;
    }
  }

  private connection(address: string, node: string): Promise<PooledConnection> {
    const existing = this.pool.get(address);
    if (existing) return existing;
    const created = this.connect(address, node);
    this.pool.set(address, created);
    created.catch(() => {
      if (this.pool.get(address) === created) this.pool.delete(address);
    });
    return created;
  }

  private evict(address: string, conn: PooledConnection) {
    conn.closed = true;
    const current = this.pool.get(address);
    if (current) {
      current.then(
        (c) => {
          if (c === conn && this.pool.get(address) === current) this.pool.delete(address);
        },
        () => {},
      );
    }
    conn.client.end();
  }

  private async connect(address: string, node: string): Promise<PooledConnection> {
    const storeKey = this.port === 22 ? address : `[${address}]:${this.port}`;
    const pinned = await this.options.hostKeys.get(storeKey);
    let rejectedKey: string | undefined;
    // Loaded on the first connection, not at start: importing ssh2 costs ~0.1–0.3 s (docs/performance.md).
    const ssh2 = await import("ssh2");

    return new Promise<PooledConnection>((resolve, reject) => {
      const client = new ssh2.Client();
      const conn: PooledConnection = { client, closed: false };
      let ready = false;
      const config: ConnectConfig = {
        host: address,
        port: this.port,
        username: this.options.username,
        readyTimeout: this.options.connectTimeoutMs ?? 15_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          const seen = hostKeyFingerprint(key);
          if (pinned === undefined) {
            // Trust on first use: remember this node's key, refuse any other one from now on.
            this.options.hostKeys.set(storeKey, seen).then(
              () => verify(true),
              () => verify(false),
            );
            return;
          }
          if (seen !== pinned) rejectedKey = seen;
          verify(seen === pinned);
        },
        ...(this.options.password ? { password: this.options.password } : {}),
        ...(this.options.privateKey ? { privateKey: this.options.privateKey } : {}),
        ...(this.options.passphrase ? { passphrase: this.options.passphrase } : {}),
      };
      client.on("ready", () => {
        ready = true;
        resolve(conn);
      });
      client.on("error", (err: Error & { level?: string; code?: string }) => {
        if (ready) return; // handled by 'close' and by the running channels
        if (rejectedKey) {
          reject(
            this.error(
              "host_key",
              node,
              `host key of ${address} is ${rejectedKey}, but ${pinned} is pinned; if the node was reinstalled, reset the pinned key`,
              err,
            ),
          );
        } else if (err.level === "client-authentication") {
          reject(this.error("auth", node, `SSH authentication failed for ${this.options.username}`, err));
        } else if (/timed out/i.test(err.message)) {
          reject(this.error("timeout", node, `SSH handshake with ${address} timed out`, err));
        } else {
          reject(this.error("unreachable", node, `SSH connection to ${address} failed: ${err.message}`, err));
        }
      });
      client.on("close", () => {
        conn.closed = true;
        const current = this.pool.get(address);
        current?.then(
          (c) => {
            if (c === conn && this.pool.get(address) === current) this.pool.delete(address);
          },
          () => {},
        );
        if (!ready)
          reject(this.error("unreachable", node, `SSH connection to ${address} closed during setup`));
      });
      client.connect(config);
    });
  }

  private run(
    conn: PooledConnection,
    node: string,
    command: string,
    opts: PctExecOptions,
  ): Promise<PctExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? 600_000;
    const maxBytes = this.options.maxOutputBytes ?? 16 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      if (conn.closed) return reject(new ChannelOpenError("connection already closed"));
      let settled = false;
      let channel: ClientChannel | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.client.removeListener("close", onDrop);
        fn();
      };
      const onDrop = () =>
        finish(() =>
          reject(this.error("ssh_drop", node, "the SSH connection closed before the command finished")),
        );
      const timer = setTimeout(() => {
        finish(() => reject(this.error("timeout", node, `command did not finish within ${timeoutMs} ms`)));
        channel?.close();
      }, timeoutMs);
      conn.client.once("close", onDrop);

      conn.client.exec(command, (err, stream) => {
        if (err) return finish(() => reject(new ChannelOpenError(err.message)));
        channel = stream;
        if (settled) return stream.close();
        const stdout = new Collector(maxBytes);
        const stderr = new Collector(maxBytes);
        let exitCode: number | null = null;
        let signal: string | undefined;
        const onLine = opts.onLine;
        const outLines = onLine ? new LineSplitter((l) => onLine(l, "stdout")) : undefined;
        const errLines = onLine ? new LineSplitter((l) => onLine(l, "stderr")) : undefined;
        stream.on("data", (chunk: Buffer) => {
          stdout.push(chunk);
          outLines?.push(chunk);
        });
        stream.stderr.on("data", (chunk: Buffer) => {
          stderr.push(chunk);
          errLines?.push(chunk);
        });
        stream.on("exit", (code: number | null, sig?: string) => {
          exitCode = code;
          signal = sig;
        });
        stream.on("close", () => {
          outLines?.end();
          errLines?.end();
          if (exitCode === null && signal === undefined) {
            // Closed without an exit status: the server or the network went away mid-command.
            return finish(() =>
              reject(this.error("ssh_drop", node, "the command's channel closed without an exit status")),
            );
          }
          // Killed by a signal: report it the way a shell would (128 + n), unknown signals as 255.
          const code = exitCode ?? 128 + (SIGNALS[signal ?? ""] ?? 127);
          finish(() => resolve({ exitCode: code, stdout: stdout.text(), stderr: stderr.text() }));
        });
        // EOF on stdin either way, so a command that reads stdin never waits forever.
        if (opts.stdin === undefined) stream.end();
        else
          stream.end(
            typeof opts.stdin === "string" ? Buffer.from(opts.stdin, "utf8") : Buffer.from(opts.stdin),
          );
      });
    });
  }

  private error(kind: ProxmoxErrorKind, node: string, message: string, cause?: unknown): ProxmoxError {
    return new ProxmoxError(message, {
      kind,
      host: this.label,
      node,
      method: "SSH",
      path: "pct exec",
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** The channel could not be opened: the command never started. */
class ChannelOpenError extends Error {}

const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  KILL: 9,
  SEGV: 11,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
};

class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer) {
    if (this.size >= this.max) return;
    const part = chunk.subarray(0, this.max - this.size);
    this.chunks.push(part);
    this.size += part.length;
  }
  text() {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** The command that checks `pct` is usable by the SSH login (root, or sudo -n with a NOPASSWD rule). */
export function pctListCommand(username: string): string {
  return username === "root" ? "pct list" : "sudo -n pct list";
}
