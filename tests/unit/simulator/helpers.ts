/**
 * Test helpers that talk to the simulator like a real client would: fetch over a real socket with
 * token or ticket auth, form-encoded bodies, and an ssh2 Client for `pct exec`.
 */
import { Client } from "ssh2";
import {
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from "../../../src/simulator/index.ts";

export const SPEED = 60;

export async function boot(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ speed: SPEED, seed: 42, ...opts });
}

export interface ApiReply<T = unknown> {
  status: number;
  statusText: string;
  text: string;
  body: { data: T; errors?: Record<string, string>; message?: string; total?: number } | undefined;
  headers: Headers;
}

export type FormValue = string | number | boolean | undefined;

function form(params: Record<string, FormValue>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    u.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  }
  return u.toString();
}

export class Api {
  constructor(
    readonly sim: RunningSimulator,
    private readonly auth: Record<string, string> = {
      Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}`,
    },
  ) {}

  async request<T = unknown>(
    method: string,
    path: string,
    params: Record<string, FormValue> = {},
    extra: { headers?: Record<string, string>; rawBody?: string; json?: unknown } = {},
  ): Promise<ApiReply<T>> {
    let url = `${this.sim.apiUrl}/api2/json${path}`;
    const headers: Record<string, string> = { ...this.auth, ...extra.headers };
    let body: string | undefined;
    if (extra.json !== undefined) {
      body = JSON.stringify(extra.json);
      headers["Content-Type"] = "application/json";
    } else if (extra.rawBody !== undefined) {
      body = extra.rawBody;
    } else if (method === "GET" || method === "DELETE") {
      const q = form(params);
      if (q) url += `?${q}`;
    } else {
      body = form(params);
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let parsed: ApiReply<T>["body"];
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, statusText: res.statusText, text, body: parsed, headers: res.headers };
  }

  async get<T = unknown>(path: string, params: Record<string, FormValue> = {}): Promise<T> {
    return this.ok<T>(await this.request<T>("GET", path, params));
  }
  async post<T = unknown>(path: string, params: Record<string, FormValue> = {}): Promise<T> {
    return this.ok<T>(await this.request<T>("POST", path, params));
  }
  async put<T = unknown>(path: string, params: Record<string, FormValue> = {}): Promise<T> {
    return this.ok<T>(await this.request<T>("PUT", path, params));
  }
  async del<T = unknown>(path: string, params: Record<string, FormValue> = {}): Promise<T> {
    return this.ok<T>(await this.request<T>("DELETE", path, params));
  }

  private ok<T>(r: ApiReply<T>): T {
    if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.statusText}: ${r.text}`);
    return r.body!.data;
  }

  /** Polls the task until it stops, returning its final status object. */
  async waitTask(
    upid: string,
    timeoutMs = 10_000,
  ): Promise<{ status: string; exitstatus?: string; type: string }> {
    const node = upid.split(":")[1]!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.get<{ status: string; exitstatus?: string; type: string }>(
        `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`,
      );
      if (s.status === "stopped") return s;
      if (Date.now() > deadline) throw new Error(`task ${upid} still running`);
      await Bun.sleep(5);
    }
  }

  async taskLog(upid: string): Promise<string[]> {
    const node = upid.split(":")[1]!;
    const lines = await this.get<{ n: number; t: string }[]>(
      `/nodes/${node}/tasks/${encodeURIComponent(upid)}/log`,
      {
        limit: 0,
      },
    );
    return lines.map((l) => l.t);
  }

  /** Polls until `check` returns a truthy value. */
  async until<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await Bun.sleep(5);
    }
  }

  // --- fixtures -------------------------------------------------------------------------------

  async downloadTemplate(node: string, template: string): Promise<string> {
    const upid = await this.post<string>(`/nodes/${node}/aplinfo`, { storage: "local", template });
    const s = await this.waitTask(upid);
    if (s.exitstatus !== "OK") throw new Error(`download failed: ${s.exitstatus}`);
    return `local:vztmpl/${template}`;
  }

  /** Creates (and optionally starts) a CT, waiting for the tasks. */
  async createCt(
    node: string,
    vmid: number,
    opts: { template?: string; start?: boolean; extra?: Record<string, FormValue> } = {},
  ): Promise<void> {
    const upid = await this.post<string>(`/nodes/${node}/lxc`, {
      vmid,
      ostemplate: opts.template ?? `local:vztmpl/${ALPINE}`,
      hostname: `ct${vmid}`,
      unprivileged: true,
      features: "nesting=1",
      rootfs: "local-lvm:2",
      memory: 512,
      net0: "name=eth0,bridge=vmbr0,ip=dhcp",
      ...opts.extra,
    });
    const s = await this.waitTask(upid);
    if (s.exitstatus !== "OK") throw new Error(`create failed: ${s.exitstatus}`);
    if (opts.start) {
      const st = await this.waitTask(await this.post<string>(`/nodes/${node}/lxc/${vmid}/status/start`));
      if (st.exitstatus !== "OK") throw new Error(`start failed: ${st.exitstatus}`);
    }
  }

  async simState() {
    return this.sim.state();
  }

  async simPost(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.sim.apiUrl}${path}`, {
      method: "POST",
      headers: { ...this.auth, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async simDelete(path: string): Promise<Response> {
    return fetch(`${this.sim.apiUrl}${path}`, { method: "DELETE", headers: this.auth });
  }
}

export const ALPINE = "alpine-3.22-default_20250617_amd64.tar.xz";
export const DEBIAN = "debian-12-standard_12.12-1_amd64.tar.zst";

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the connection closed without an exit status. */
  dropped: boolean;
}

/** Connects to a node's SSH server (password auth unless a private key is given). */
export async function sshConnect(
  sim: RunningSimulator,
  host: string,
  auth: { password?: string; privateKey?: string } = { password: sim.sshPassword },
): Promise<Client> {
  const c = new Client();
  await new Promise<void>((resolve, reject) => {
    c.once("ready", () => resolve());
    c.once("error", reject);
    c.connect({ host, port: sim.sshPort, username: sim.sshUsername, ...auth, readyTimeout: 5000 });
  });
  return c;
}

export async function sshExec(c: Client, command: string, stdin?: string): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = "";
      let stderr = "";
      let code: number | null = null;
      stream.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      stream.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      stream.on("exit", (c: number | null) => {
        code = c;
      });
      stream.on("close", () => resolve({ code, stdout, stderr, dropped: code === null }));
      if (stdin !== undefined) stream.end(stdin);
    });
  });
}

/** pct exec with each argv element single-quoted, as the real client builds it. */
export function pctCommand(vmid: number, argv: string[]): string {
  return `pct exec ${vmid} -- ${argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ")}`;
}
